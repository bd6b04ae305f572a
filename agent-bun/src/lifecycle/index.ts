import { rmSync } from "node:fs";
import { dirname } from "node:path";
import type { CommandId, LeasedCommand, ReportResultInput } from "@redflag/contracts";
import { type ConfigFile, stateDirectoryOf } from "../config/config.ts";
import { type StateFiles, stateFiles } from "../config/paths.ts";
import { currentEnvironment } from "../environment.ts";
import { describeError, tailOfOutput } from "../errors.ts";
import { runProgram } from "../host/run.ts";
import { logger } from "../logging.ts";
import type { Progress } from "../package-managers/package-manager.ts";
import type { AgentConnection } from "../transport/client.ts";
import { signatureBytes, verifySignedChecksums } from "../trust/checksums.ts";
import { TrustStore } from "../trust/trust-store.ts";
import { agentTarget, agentVersion } from "../version.ts";
import { type BootIdentity, currentBootIdentity } from "./boot-identity.ts";
import { readMarker } from "./markers.ts";
import { finishReboot, rebootMarkerSchema, startReboot } from "./reboot.ts";
import { requestRestart } from "./restart.ts";
import {
  clearUpdateMarker,
  installCandidate,
  keepAsPrevious,
  maxStartsBeforeRestore,
  parseUpdateParameters,
  prepareCandidate,
  readUpdateMarker,
  removeLeftoverDownloads,
  restoreKept,
  restorePrevious,
  type VerifyChecksums,
  writeUpdateMarker,
} from "./self-update.ts";
import { trialPassedLine, updateTrialFlag } from "./trial.ts";

export { onRestartRequested, restartExitCode } from "./restart.ts";

const log = logger("lifecycle");

type Outcome = Omit<ReportResultInput, "commandId" | "startedAt" | "finishedAt">;

export type LifecycleFiles = Pick<StateFiles, "rebootMarker" | "updateMarker">;

export type LifecycleCommandContext = {
  config: ConfigFile;
  connection: AgentConnection;
  files: LifecycleFiles;
  /** Checks SHA256SUMS against its signature and the pinned keys; the file → SHA-256 map. */
  verifyChecksums: VerifyChecksums;
  /** Whether an install or rollback runs beside this command. */
  isInstallRunning?: () => boolean;
  /** The config file the daemon runs with, when it is not where the environment says (a Windows service). */
  configPath?: string;
  /** The installed binary (the running one; overridable for tests). */
  binary?: string;
  version?: string;
  target?: string;
};

/**
 * The lifecycle's view of a command's context: the state files (from the config when the daemon
 * does not pass them) and a SHA256SUMS check against the keys this agent trusts.
 */
export function lifecycleContextOf(context: {
  config: ConfigFile;
  connection: AgentConnection;
  files?: StateFiles;
  configPath?: string;
  isInstallRunning?: () => boolean;
}): LifecycleCommandContext {
  const files = context.files ?? stateFiles(stateDirectoryOf(currentEnvironment(), context.config));
  const trust = new TrustStore(context.config.serverKeys ?? [], files.trustedKeys);
  return {
    config: context.config,
    connection: context.connection,
    files,
    isInstallRunning: context.isInstallRunning,
    configPath: context.configPath,
    verifyChecksums: (sums, signature) => {
      const raw = signatureBytes(signature);
      if (!raw) throw new Error("SHA256SUMS.sig is not an Ed25519 signature (64 bytes or their base64)");
      return verifySignedChecksums(sums, raw, trust.keys());
    },
  };
}

function failed(output: string, exitCode: number | null = null): Outcome {
  return { status: "failed", exitCode, output, items: [], result: {} };
}

/**
 * Runs `reboot` or `update_agent`. Null when the result comes later: after the reboot, or from the
 * new binary's first check-in (`finishPendingLifecycle`).
 */
export function runLifecycleCommand(
  command: LeasedCommand & { type: "reboot" | "update_agent" },
  context: LifecycleCommandContext,
  progress: Progress,
): Promise<Outcome | null> {
  if (command.type === "reboot")
    return startReboot(command, {
      markerPath: context.files.rebootMarker,
      isInstallRunning: context.isInstallRunning,
    });
  return updateAgent(command, context, progress);
}

async function updateAgent(
  command: LeasedCommand,
  context: LifecycleCommandContext,
  progress: Progress,
): Promise<Outcome | null> {
  const version = context.version ?? agentVersion;
  const target = context.target ?? agentTarget;
  const binary = context.binary ?? process.execPath;
  let parameters: ReturnType<typeof parseUpdateParameters>;
  try {
    parameters = parseUpdateParameters(command);
  } catch (error) {
    return failed(describeError(error));
  }
  if (parameters.version === version)
    return {
      status: "succeeded",
      exitCode: 0,
      output: `Already running agent ${version}`,
      items: [],
      result: {},
    };
  if (target === "source")
    return failed("This agent runs from source, not as an installed binary: it cannot update itself");
  if (readUpdateMarker(context.files.updateMarker))
    return failed("Another agent update is still waiting for its new binary to check in");
  removeLeftoverDownloads(binary);
  progress(5, `Downloading agent ${parameters.version} (${target})`, true);
  let candidate: string | null = null;
  try {
    candidate = await prepareCandidate({
      serverUrl: context.connection.serverUrl,
      target,
      binary,
      version: parameters.version,
      verifyChecksums: context.verifyChecksums,
    });
    // Fresh tokens, saved before the trial reads the config: the trial must not renew (trial.ts).
    await context.connection.renew();
    installCandidate(binary, candidate);
  } catch (error) {
    // Nothing of a failed attempt stays behind.
    if (candidate !== null) rmSync(candidate, { force: true });
    return failed(`Agent ${parameters.version} was not installed: ${describeError(error)}`);
  }
  progress(60, `Agent ${parameters.version} installed at ${binary}; trial run`, true);
  const startedAt = new Date();
  let trial: Awaited<ReturnType<typeof runProgram>> | null = null;
  let trialError: unknown = null;
  try {
    trial = await runProgram([binary, updateTrialFlag, command.id], {
      source: "process",
      // The trial reads this daemon's config and state, wherever they came from (env, a service's argv).
      env: {
        ...process.env,
        REDFLAG_STATE_DIR: dirname(context.files.updateMarker),
        ...(context.configPath ? { AGENT_CONFIG_PATH: context.configPath } : {}),
      },
      timeoutMs: Math.min(parameters.deadlineMinutes * 60_000, 5 * 60_000),
      maxOutputBytes: 64 * 1024,
    });
  } catch (error) {
    trialError = error;
  }
  if (trial?.exitCode === 0 && trial.stdout.includes(trialPassedLine(parameters.version))) {
    try {
      keepAsPrevious(binary);
    } catch (error) {
      return failed(`Agent ${parameters.version} passed its trial, but ${describeError(error)}`);
    }
    writeUpdateMarker(context.files.updateMarker, {
      commandId: command.id,
      fromVersion: version,
      toVersion: parameters.version,
      startedAt,
      deadline: new Date(startedAt.getTime() + parameters.deadlineMinutes * 60_000),
      starts: 0,
      restored: null,
    });
    log.info("Agent {version} passed its trial; restarting into it", { version: parameters.version });
    requestRestart();
    return null;
  }
  const why = trial
    ? `${trial.timedOut ? "did not finish in time" : `exited with ${trial.exitCode}`}: ${
        tailOfOutput(`${trial.stdout}\n${trial.stderr}`, 12, 4000) || "no output"
      }`
    : describeError(trialError);
  try {
    restoreKept(binary);
  } catch (error) {
    return failed(
      `The new agent ${parameters.version} failed its trial run (${why}), and agent ${version} could not be put back: ${describeError(error)}`,
      trial?.exitCode ?? null,
    );
  }
  return failed(
    `The new agent ${parameters.version} failed its trial run and agent ${version} was put back. The trial ${why}`,
    trial?.exitCode ?? null,
  );
}

/**
 * Called at every daemon start, before the lock: a new binary that keeps failing before its first
 * check-in is replaced by the previous one after `maxStartsBeforeRestore` starts. Returns true when
 * the daemon must exit at once for its service manager to start the restored binary.
 */
export function guardUpdateAtStart(
  files: LifecycleFiles,
  binary = process.execPath,
  version = agentVersion,
): boolean {
  const marker = readUpdateMarker(files.updateMarker);
  if (!marker || marker.restored !== null || marker.toVersion !== version) return false;
  const starts = marker.starts + 1;
  if (starts <= maxStartsBeforeRestore) {
    writeUpdateMarker(files.updateMarker, { ...marker, starts });
    return false;
  }
  const reason = `Agent ${marker.toVersion} started ${marker.starts} times without checking in; agent ${marker.fromVersion} was put back`;
  try {
    restorePrevious(binary);
  } catch (error) {
    log.error("Cannot put the previous binary back: {error}", { error: describeError(error) });
    writeUpdateMarker(files.updateMarker, {
      ...marker,
      starts,
      restored: `${reason} failed: ${describeError(error)}`,
    });
    return false;
  }
  writeUpdateMarker(files.updateMarker, { ...marker, starts, restored: reason });
  log.error("{reason}", { reason });
  return true;
}

function finishUpdate(files: LifecycleFiles, version: string, now: Date): ReportResultInput | null {
  const marker = readUpdateMarker(files.updateMarker);
  if (!marker) return null;
  const report = (outcome: Outcome): ReportResultInput => {
    clearUpdateMarker(files.updateMarker);
    return {
      commandId: marker.commandId as ReportResultInput["commandId"],
      startedAt: marker.startedAt,
      finishedAt: now,
      ...outcome,
    };
  };
  if (marker.restored !== null) return report(failed(marker.restored));
  if (version === marker.toVersion) {
    return report({
      status: "succeeded",
      exitCode: 0,
      output: `Agent updated from ${marker.fromVersion} to ${marker.toVersion}`,
      items: [],
      result: { fromVersion: marker.fromVersion, toVersion: marker.toVersion },
    });
  }
  if (now.getTime() < marker.deadline.getTime()) return null;
  return report(
    failed(
      `Agent ${marker.toVersion} did not check in by ${marker.deadline.toISOString()}; this host runs agent ${version}`,
    ),
  );
}

/**
 * The reboot or agent update waiting for a restart, for the check-in's `runningCommandIds`: its lease
 * is extended while it waits (a reboot delayed for hours would otherwise time out on the server).
 */
export function heldLifecycleCommandIds(files: LifecycleFiles): CommandId[] {
  const ids = [readMarker(files.rebootMarker, rebootMarkerSchema), readUpdateMarker(files.updateMarker)]
    .filter((marker) => marker !== null)
    .map((marker) => marker.commandId as CommandId);
  return [...new Set(ids)];
}

/**
 * After every successful check-in: the results of reboots and agent updates that finished across a
 * restart (or whose deadline passed), to queue. Each marker is cleared as its result is returned.
 */
export async function finishPendingLifecycle(context: {
  config: unknown;
  files: LifecycleFiles;
  connection: unknown;
  agentVersion: string;
  now?: Date;
  bootIdentity?: () => BootIdentity;
}): Promise<ReportResultInput[]> {
  const now = context.now ?? new Date();
  const results: ReportResultInput[] = [];
  try {
    const update = finishUpdate(context.files, context.agentVersion, now);
    if (update) results.push(update);
  } catch (error) {
    log.error("Cannot finish the pending agent update: {error}", { error: describeError(error) });
  }
  try {
    const reboot = finishReboot({
      markerPath: context.files.rebootMarker,
      bootIdentity: context.bootIdentity ?? currentBootIdentity,
      now: () => now,
    });
    if (reboot) results.push(reboot);
  } catch (error) {
    log.error("Cannot finish the pending reboot: {error}", { error: describeError(error) });
  }
  return results;
}
