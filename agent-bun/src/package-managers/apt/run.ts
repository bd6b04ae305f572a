import type { ConfigFile } from "../../config/config.ts";
import { childEnvironment } from "../../environment.ts";
import { AgentError, tailOfOutput } from "../../errors.ts";
import { assertFinished, type RunOptions, type RunResult, runProgram } from "../../host/run.ts";
import { aptDownloadOptions, type DownloadSettings } from "../download-settings.ts";

export type AptSettings = {
  configFile?: string | undefined;
  rebootRequiredFile: string;
  /** How long a step waits for another apt/dpkg to release its locks. */
  lockTimeoutMs: number;
  /** The download profile's `-o` options (limit, proxy), given to every apt-get run. */
  downloadOptions: string[];
};

export function aptSettings(config: ConfigFile, download: DownloadSettings | null = null): AptSettings {
  return {
    configFile: config.apt.configFile,
    rebootRequiredFile: config.apt.rebootRequiredFile,
    lockTimeoutMs: config.apt.lockTimeoutSeconds * 1000,
    downloadOptions: aptDownloadOptions(download),
  };
}

/** apt's environment: C locale (stable output), never a prompt, and the configured APT_CONFIG. */
export function aptEnvironment(settings: AptSettings): Record<string, string> {
  return childEnvironment({
    LANG: "C",
    LC_ALL: "C",
    LANGUAGE: undefined,
    DEBIAN_FRONTEND: "noninteractive",
    APT_LISTCHANGES_FRONTEND: "none",
    NEEDRESTART_MODE: "a",
    ...(settings.configFile ? { APT_CONFIG: settings.configFile } : {}),
  });
}

/** What apt prints when another apt, dpkg or unattended-upgrades holds a lock it needs. */
const lockMessage = /Could not get lock|Unable to lock directory|Unable to acquire the dpkg frontend lock/;

/** A scan step may take this long; an install far longer (big upgrades, slow mirrors). */
export const aptTimeouts = { query: 15 * 60_000, install: 2 * 60 * 60_000 };

type AptRunOptions = Pick<RunOptions, "onStatusLine" | "maxOutputBytes"> & { timeoutMs?: number };

/**
 * Runs an apt program (argv only). When another apt holds a lock, waits for it: dpkg's locks through
 * `DPkg::Lock::Timeout`, and `apt-get update`'s list lock, which apt does not wait for, by trying
 * again until `lockTimeoutMs` has passed; then fails with a retryable `locked` error.
 */
export async function runApt(
  settings: AptSettings,
  argv: string[],
  options: AptRunOptions = {},
): Promise<RunResult> {
  const operation = argv.slice(0, 2).join(" ");
  const deadline = Date.now() + settings.lockTimeoutMs;
  let pauseMs = 500;
  for (;;) {
    const waitSeconds = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    const lockArgv =
      argv[0] === "apt-get"
        ? [argv[0], "-o", `DPkg::Lock::Timeout=${waitSeconds}`, ...settings.downloadOptions, ...argv.slice(1)]
        : argv;
    const result = await runProgram(lockArgv, {
      source: "apt",
      env: aptEnvironment(settings),
      timeoutMs: options.timeoutMs ?? aptTimeouts.query,
      ...(options.onStatusLine === undefined ? {} : { onStatusLine: options.onStatusLine }),
      ...(options.maxOutputBytes === undefined ? {} : { maxOutputBytes: options.maxOutputBytes }),
    });
    assertFinished(result, "apt", operation);
    if (result.exitCode === 0 || !lockMessage.test(result.stderr)) return result;
    if (Date.now() + pauseMs > deadline) {
      throw new AgentError(
        `locked by another process, will retry (waited ${Math.round(settings.lockTimeoutMs / 1000)} s): ${tailOfOutput(result.stderr, 2)}`,
        { source: "apt", kind: "locked", operation },
      );
    }
    await Bun.sleep(pauseMs);
    pauseMs = Math.min(pauseMs * 2, 5000);
  }
}

/** An apt step that exited non-zero for a reason other than a lock: apt's own words, retryable. */
export function aptFailure(result: RunResult, operation: string): AgentError {
  return new AgentError(`failed (exit ${result.exitCode}): ${tailOfOutput(result.stderr || result.stdout)}`, {
    source: "apt",
    kind: "failed",
    operation,
  });
}
