import type { CommandTarget, ItemOutcome } from "@redflag/contracts";
import type { ConfigFile } from "../../config/config.ts";
import { tailOfOutput } from "../../errors.ts";
import type { Installer, InstallResult, PlannedChange, Progress } from "../package-manager.ts";
import {
  parseWingetList,
  visibleLines,
  wingetExitCodeHex,
  wingetInstallVersionArgv,
  wingetListArgv,
  wingetUpgradeArgv,
} from "./index.ts";
import { runWinget, type WingetSettings, wingetSettings } from "./run.ts";

export function createWingetInstaller(config: ConfigFile): Installer {
  const settings = wingetSettings(config);
  return {
    packageType: "winget",
    dryRun: async (targets) => {
      // winget has no dry run: what it would do is what `winget list` says is installed and available.
      const changes: PlannedChange[] = [];
      for (const target of targets) {
        const listed = await installedPackage(settings, target.packageName);
        if (listed === null) throw new Error(`${target.packageName} is not installed`);
        changes.push({
          action: "upgrade",
          packageName: target.packageName,
          currentVersion: listed.version,
          newVersion: listed.available ?? target.availableVersion,
        });
      }
      return { changes, output: "" };
    },
    install: (targets, progress) => apply(settings, targets, progress, "install"),
    rollback: (targets, progress) => apply(settings, targets, progress, "rollback"),
  };
}

async function installedPackage(settings: WingetSettings, id: string) {
  const argv = wingetListArgv(id, settings.program);
  return parseWingetList(await runWinget(argv, `winget list --id ${id}`), id);
}

async function apply(
  settings: WingetSettings,
  targets: CommandTarget[],
  progress: Progress,
  mode: "install" | "rollback",
): Promise<InstallResult> {
  const outcomes: ItemOutcome[] = [];
  const log: string[] = [];
  let exitCode = 0;
  for (const [index, target] of targets.entries()) {
    const wanted = mode === "install" ? target.availableVersion : target.currentVersion;
    if (wanted === null) {
      outcomes.push({
        updateId: target.updateId,
        status: "skipped",
        installedVersion: null,
        message: "no previous version is known",
      });
      continue;
    }
    progress(
      (index / targets.length) * 100,
      `${mode === "install" ? "Upgrading" : "Reinstalling"} ${target.packageName} ${wanted}`,
      true,
    );
    const argv =
      mode === "install"
        ? wingetUpgradeArgv(target.packageName, settings.program)
        : wingetInstallVersionArgv(target.packageName, wanted, settings.program);
    const result = await runWinget(argv, `winget ${argv[1]} --id ${target.packageName}`);
    log.push(
      `$ ${argv.join(" ")}`,
      visibleLines(result.stdout)
        .filter((line) => line.trim() !== "")
        .join("\n"),
    );
    if (result.exitCode !== 0) exitCode = result.exitCode;
    // Verified by what winget lists afterwards, whatever the exit code said.
    const listed = await installedPackage(settings, target.packageName);
    if (listed !== null && listed.version === wanted) {
      outcomes.push({
        updateId: target.updateId,
        status: "installed",
        installedVersion: listed.version,
        message: "",
      });
    } else {
      outcomes.push({
        updateId: target.updateId,
        status: "failed",
        installedVersion: listed?.version ?? null,
        message: `winget ${argv[1]} exited with ${wingetExitCodeHex(result.exitCode)}; winget list shows ${listed?.version ?? "nothing"}, expected ${wanted}: ${tailOfOutput(visibleLines(result.stdout).join("\n"), 3)}`,
      });
    }
  }
  progress(
    100,
    `${outcomes.filter((outcome) => outcome.status === "installed").length} of ${outcomes.length} verified at the expected version`,
    true,
  );
  return { outcomes, output: log.join("\n"), exitCode };
}
