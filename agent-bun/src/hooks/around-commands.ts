import type { CommandTarget, ItemOutcome, PackageType, ReportResultInput } from "@redflag/contracts";
import { describeError } from "../errors.ts";
import type { InstallResult, Progress } from "../package-managers/package-manager.ts";
import { type HookRun, type HookSettings, runHooks } from "./hooks.ts";

/** Why a hook stopped what it came before, in one line and its output: what an item's outcome says. */
function stoppedBy(hook: string, failure: HookRun | null, settings: HookSettings): string {
  if (failure === null) return `the ${hook} hook failed`;
  const how =
    failure.refused !== null
      ? `was refused (${failure.refused})`
      : failure.timedOut
        ? `did not finish in ${Math.round(settings.timeoutMs / 1000)} s`
        : `exited with ${failure.exitCode}`;
  return `the ${hook} hook ${failure.program} ${how}${failure.output ? `: ${failure.output}` : ""}`;
}

function failedAll(targets: CommandTarget[], message: string): ItemOutcome[] {
  return targets.map((target) => ({
    updateId: target.updateId,
    status: "failed",
    installedVersion: null,
    message: message.slice(0, 2000),
  }));
}

/**
 * An install or rollback of one package type between its hooks: pre-install first, and a failing one
 * stops it before the package manager runs; post-install afterwards with the outcome, its failure
 * only noted in the output (the packages have changed either way).
 */
export async function changeWithHooks(options: {
  commandId: string;
  commandType: "install" | "rollback";
  packageType: PackageType;
  targets: CommandTarget[];
  settings: HookSettings;
  progress: Progress;
  change: () => Promise<InstallResult>;
}): Promise<InstallResult> {
  const input = {
    commandId: options.commandId,
    commandType: options.commandType,
    packageType: options.packageType,
    targets: options.targets,
  };
  const pre = await runHooks("pre-install", input, options.settings);
  if (!pre.ok) {
    const why = `Not ${options.commandType === "install" ? "installed" : "rolled back"}: ${stoppedBy("pre-install", pre.failure, options.settings)}`;
    options.progress(100, why.slice(0, 1000), true);
    return {
      outcomes: failedAll(options.targets, why),
      output: pre.report,
      exitCode: pre.failure?.exitCode ?? null,
    };
  }
  let result: InstallResult;
  try {
    result = await options.change();
  } catch (error) {
    result = {
      outcomes: failedAll(options.targets, describeError(error)),
      output: describeError(error),
      exitCode: null,
    };
  }
  const allInstalled =
    result.outcomes.length > 0 && result.outcomes.every((item) => item.status === "installed");
  const post = await runHooks(
    "post-install",
    {
      ...input,
      outcome: {
        status: allInstalled ? "succeeded" : "failed",
        exitCode: result.exitCode,
        items: result.outcomes,
      },
    },
    options.settings,
  );
  return {
    ...result,
    output: [pre.report, result.output, post.report].filter((part) => part !== "").join("\n"),
  };
}

type Outcome = Omit<ReportResultInput, "commandId" | "startedAt" | "finishedAt">;

/** The pre-reboot hook: null when it lets the reboot go ahead, else the failed result that stops it. */
export async function refusedByPreReboot(commandId: string, settings: HookSettings): Promise<Outcome | null> {
  const pre = await runHooks(
    "pre-reboot",
    { commandId, commandType: "reboot", packageType: null, targets: [] },
    settings,
  );
  if (pre.ok) return null;
  return {
    status: "failed",
    exitCode: pre.failure?.exitCode ?? null,
    output: `Not rebooted: ${stoppedBy("pre-reboot", pre.failure, settings)}\n${pre.report}`,
    items: [],
    result: {},
  };
}
