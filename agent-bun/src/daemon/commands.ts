import {
  type CommandTarget,
  type ItemOutcome,
  type LeasedCommand,
  type PackageType,
  type ReportResultInput,
  toPrintableText,
} from "@redflag/contracts";
import type { ConfigFile } from "../config/config.ts";
import type { StateFiles } from "../config/paths.ts";
import { childEnvironment } from "../environment.ts";
import { describeError } from "../errors.ts";
import { changeWithHooks, refusedByPreReboot } from "../hooks/around-commands.ts";
import { hookSettings } from "../hooks/hooks.ts";
import { lifecycleContextOf, runLifecycleCommand } from "../lifecycle/index.ts";
import { maxOutputLength } from "../limits.ts";
import { logger } from "../logging.ts";
import { downloadSettingsOf } from "../package-managers/download-settings.ts";
import { describePlan, type InstallResult, type Progress } from "../package-managers/package-manager.ts";
import { installerFor } from "../package-managers/registry.ts";
import { rollbackSnapshot, type SnapshotTools, takeSnapshot } from "../proxmox/snapshots.ts";
import { type LastScan, runScan } from "../scan.ts";
import type { AgentConnection } from "../transport/client.ts";
import { checkLeasedCommand, refusedResult } from "../trust/command-trust.ts";

const log = logger("command");

export type CommandContext = {
  config: ConfigFile;
  connection: AgentConnection;
  /** Hands a fresh scan to the daemon, which caches it and queues its report. */
  onScan: (scan: LastScan) => void;
  /** Where reboot and update_agent leave their markers (found from the config when not given). */
  files?: StateFiles;
  /** The config file this agent runs with (a new binary's trial run reads the same one). */
  configPath?: string;
  /** Whether an install or rollback is running beside this command: a reboot then refuses. */
  isInstallRunning?: () => boolean;
  /**
   * Set by a caller that already checked the command with checkLeasedCommand when it arrived (a
   * command queued behind a long one must not expire in the queue); otherwise it is checked here.
   */
  verified?: boolean;
  /** How a Proxmox node's pct and qm are run (tests put stand-ins on PATH); the agent's own environment otherwise. */
  proxmoxTools?: SnapshotTools;
};

function proxmoxToolsOf(context: CommandContext): SnapshotTools {
  return context.proxmoxTools ?? { env: childEnvironment({}), timeoutMs: 30 * 60_000 };
}

type Outcome = Omit<ReportResultInput, "commandId" | "startedAt" | "finishedAt">;

/**
 * Sends progress without holding up the work: the latest value is sent at most once a second,
 * and a server that cannot be reached just misses some progress.
 */
class ProgressReporter {
  private latest: { percent: number | null; message: string } | null = null;
  private sending: Promise<void> = Promise.resolve();
  private lastSent = 0;
  cancelled = false;

  constructor(
    private readonly connection: AgentConnection,
    private readonly commandId: string,
  ) {}

  readonly report: Progress = (percent, message, milestone = false) => {
    if (milestone && this.latest) void this.flush();
    this.latest = { percent, message };
    if (milestone || Date.now() - this.lastSent >= 1000) void this.flush();
  };

  flush(): Promise<void> {
    const value = this.latest;
    if (!value) return this.sending;
    this.latest = null;
    this.lastSent = Date.now();
    this.sending = this.sending.then(async () => {
      try {
        const answer = await this.connection.call("the progress report", (agent) =>
          agent.reportProgress.mutate({
            commandId: this.commandId,
            percent: value.percent === null ? null : Math.round(value.percent * 10) / 10,
            message: toPrintableText(value.message, 1000, { keepLineBreaks: true }),
          }),
        );
        if (answer.cancelled) this.cancelled = true;
      } catch (error) {
        log.warn("Progress not delivered: {error}", { error: describeError(error) });
      }
    });
    return this.sending;
  }
}

function boundedOutput(text: string): string {
  const clean = text.replaceAll("\u0000", "");
  return clean.length > maxOutputLength ? `…${clean.slice(-(maxOutputLength - 1))}` : clean;
}

function groupByType(targets: CommandTarget[]): Map<PackageType, CommandTarget[]> {
  const groups = new Map<PackageType, CommandTarget[]>();
  for (const target of targets)
    groups.set(target.packageType, [...(groups.get(target.packageType) ?? []), target]);
  return groups;
}

async function installOrRollback(
  command: LeasedCommand,
  context: CommandContext,
  progress: Progress,
): Promise<Outcome> {
  const items: ItemOutcome[] = [];
  const outputs: string[] = [];
  let exitCode: number | null = 0;
  const hooks = hookSettings(context.config);
  const commandType = command.type === "install" ? "install" : "rollback";
  for (const [packageType, targets] of groupByType(command.targets)) {
    const installer = installerFor(
      packageType,
      context.config,
      downloadSettingsOf(command.parameters, packageType),
    );
    // The host's own pre-install and post-install hooks around each package type's change.
    const result: InstallResult = await changeWithHooks({
      commandId: command.id,
      commandType,
      packageType,
      targets,
      settings: hooks,
      progress,
      change: () =>
        commandType === "install"
          ? installer.install(targets, progress)
          : installer.rollback(targets, progress),
    });
    items.push(
      ...result.outcomes.map((outcome) => ({ ...outcome, message: outcome.message.slice(0, 2000) })),
    );
    outputs.push(result.output);
    if (result.exitCode !== 0) exitCode = result.exitCode;
  }
  const allInstalled = items.length > 0 && items.every((item) => item.status === "installed");
  // The packages changed: a fresh scan tells the server what is left.
  context.onScan(await runScan(context.config));
  return {
    status: allInstalled ? "succeeded" : "failed",
    exitCode,
    output: boundedOutput(outputs.join("\n")),
    items,
    result: {
      installed: items.filter((item) => item.status === "installed").length,
      failed: items.filter((item) => item.status === "failed").length,
      skipped: items.filter((item) => item.status === "skipped").length,
    },
  };
}

async function dryRun(command: LeasedCommand, context: CommandContext): Promise<Outcome> {
  const plans: Record<string, unknown> = {};
  const outputs: string[] = [];
  let failed = false;
  for (const [packageType, targets] of groupByType(command.targets)) {
    try {
      const installer = installerFor(
        packageType,
        context.config,
        downloadSettingsOf(command.parameters, packageType),
      );
      const plan = await installer.dryRun(targets);
      plans[packageType] = { changes: plan.changes };
      outputs.push(`${packageType}: ${describePlan(plan)}`);
    } catch (error) {
      failed = true;
      plans[packageType] = { error: describeError(error).slice(0, 4000) };
      outputs.push(`${packageType}: ${describeError(error)}`);
    }
  }
  return {
    status: failed ? "failed" : "succeeded",
    exitCode: failed ? 1 : 0,
    output: boundedOutput(outputs.join("\n")),
    items: [],
    result: { plans },
  };
}

/**
 * A pre-download before a maintenance window: each package type's packages into its cache (apt-get
 * install -d), nothing installed. The result names the updates whose packages are now cached.
 */
async function downloadOnly(command: LeasedCommand, context: CommandContext): Promise<Outcome> {
  const downloaded: string[] = [];
  const outputs: string[] = [];
  let exitCode: number | null = 0;
  for (const [packageType, targets] of groupByType(command.targets)) {
    try {
      const installer = installerFor(
        packageType,
        context.config,
        downloadSettingsOf(command.parameters, packageType),
      );
      if (!installer.download) {
        outputs.push(`${packageType}: cannot download without installing`);
        exitCode = 1;
        continue;
      }
      const result = await installer.download(targets);
      for (const outcome of result.outcomes) {
        if (outcome.downloaded) downloaded.push(outcome.updateId);
        else outputs.push(`${packageType}: ${outcome.message}`);
      }
      outputs.push(result.output);
      if (result.exitCode !== 0) exitCode = result.exitCode;
    } catch (error) {
      outputs.push(`${packageType}: ${describeError(error)}`);
      exitCode = 1;
    }
  }
  const all = downloaded.length === command.targets.length;
  return {
    status: all ? "succeeded" : "failed",
    exitCode: all ? 0 : (exitCode ?? 1) || 1,
    output: boundedOutput(outputs.join("\n")),
    items: [],
    result: { downloaded },
  };
}

/** Null when the result comes later (a reboot or agent update finishes across a restart). */
async function run(
  command: LeasedCommand,
  context: CommandContext,
  progress: Progress,
): Promise<Outcome | null> {
  switch (command.type) {
    case "scan": {
      const scan = await runScan(context.config);
      context.onScan(scan);
      const failedScanners = scan.scanners.filter((scanner) => scanner.status === "error");
      const found = scan.scanners.reduce(
        (total, scanner) => total + (scanner.status === "ok" ? scanner.items.length : 0),
        0,
      );
      return {
        status: failedScanners.length === 0 ? "succeeded" : "failed",
        exitCode: failedScanners.length === 0 ? 0 : 1,
        output: boundedOutput(
          [
            `${found} updates found`,
            ...failedScanners.map((scanner) => (scanner.status === "error" ? scanner.error : "")),
          ].join("\n"),
        ),
        items: [],
        result: { updates: found },
      };
    }
    case "dry_run":
      return dryRun(command, context);
    case "install":
    case "rollback":
      return installOrRollback(command, context, progress);
    case "download":
      return downloadOnly(command, context);
    case "snapshot":
      return { ...(await takeSnapshot(command, proxmoxToolsOf(context))), items: [] };
    case "snapshot_rollback":
      return { ...(await rollbackSnapshot(command, proxmoxToolsOf(context))), items: [] };
    case "rapid_mode":
      return {
        status: "succeeded",
        exitCode: 0,
        output: "Rapid mode follows the server's deadline",
        items: [],
        result: {},
      };
    case "reboot": {
      const refused = await refusedByPreReboot(command.id, hookSettings(context.config));
      if (refused) return refused;
      return runLifecycleCommand({ ...command, type: command.type }, lifecycleContextOf(context), progress);
    }
    case "update_agent":
      return runLifecycleCommand({ ...command, type: command.type }, lifecycleContextOf(context), progress);
  }
}

/**
 * Runs one leased command to its result (never throws: a failure is a result too).
 * Null when the command was cancelled before it started (the server already knows its end), or
 * when its result comes after a restart (reboot, update_agent: lifecycle/finishPendingLifecycle).
 */
export async function executeCommand(
  command: LeasedCommand,
  context: CommandContext,
): Promise<ReportResultInput | null> {
  const startedAt = new Date();
  // Before anything else, even progress: a command that is not the server's, word for word, never runs.
  if (!context.verified) {
    const verification = checkLeasedCommand(command, { ...context, agentId: context.connection.agentId });
    if (!verification.ok) return refusedResult(command, verification, startedAt);
  }
  const reporter = new ProgressReporter(context.connection, command.id);
  reporter.report(0, `Started ${command.type}`);
  await reporter.flush();
  if (reporter.cancelled) {
    log.info("Command {id} was cancelled before it started", { id: command.id });
    return null;
  }
  let outcome: Outcome | null;
  log.info("Running {type} command {id} ({targets} targets)", {
    type: command.type,
    id: command.id,
    targets: command.targets.length,
  });
  try {
    outcome = await run(command, context, reporter.report);
  } catch (error) {
    outcome = {
      status: "failed",
      exitCode: null,
      output: boundedOutput(describeError(error)),
      items: [],
      result: {},
    };
  }
  await reporter.flush();
  if (outcome === null) {
    log.info("Command {id} finishes after a restart", { id: command.id });
    return null;
  }
  log.info("Command {id} {status}", { id: command.id, status: outcome.status });
  return { commandId: command.id, startedAt, finishedAt: new Date(), ...outcome };
}
