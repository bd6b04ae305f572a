import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { type CommandTarget, type ItemOutcome, toPrintableText } from "@redflag/contracts";
import type { ConfigFile } from "../../config/config.ts";
import { AgentError } from "../../errors.ts";
import type { RunResult } from "../../host/run.ts";
import type { DownloadSettings } from "../download-settings.ts";
import {
  changeExceptHeld,
  type DownloadOutcome,
  type DownloadResult,
  describePlan,
  type Installer,
  type InstallPlan,
  type InstallResult,
  type PlannedChange,
  type Progress,
} from "../package-manager.ts";
import { aptHeldPackages, heldMessage, isHeld } from "./holds.ts";
import { isPackageName, isPackageVersion } from "./package-name.ts";
import { parseSimulation } from "./parse.ts";
import { isInArchive, type PackagePolicy, parsePolicy } from "./policy.ts";
import { type AptSettings, aptFailure, aptSettings, aptTimeouts, runApt } from "./run.ts";

/** Non-interactive, keep the admin's config files (`confold`), take the maintainer's only for untouched ones. */
const keepConfigFiles = ["-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"];

export function createAptInstaller(config: ConfigFile, download: DownloadSettings | null = null): Installer {
  const settings = aptSettings(config, download);
  return {
    packageType: "apt",
    dryRun: (targets) => dryRun(settings, targets.map(pinnedTarget)),
    download: (targets) => downloadOnly(settings, targets),
    install: async (targets, progress) =>
      changeExceptHeld(targets, heldCheck(await aptHeldPackages(settings)), (free) =>
        install(settings, free, progress),
      ),
    rollback: async (targets, progress) =>
      changeExceptHeld(targets, heldCheck(await aptHeldPackages(settings)), (free) =>
        rollback(settings, free, progress),
      ),
  };
}

/** apt refuses to change a held package (the agent never passes --allow-change-held-packages). */
function heldCheck(held: ReadonlySet<string>) {
  return (target: CommandTarget) =>
    isHeld(held, target.packageName) ? heldMessage(target.packageName) : null;
}

/** `name=version`, after checking both against Debian's rules: nothing else reaches apt's argv. */
function pinnedTarget(target: CommandTarget): string {
  return pin(target.packageName, target.availableVersion);
}

function pin(name: string, version: string): string {
  if (!isPackageName(name)) throw refused(`invalid Debian package name ${JSON.stringify(name)}`);
  if (!isPackageVersion(version)) throw refused(`invalid Debian version ${JSON.stringify(version)}`);
  return `${name}=${version}`;
}

function refused(what: string): AgentError {
  return new AgentError(`refusing ${what}`, {
    source: "apt",
    kind: "invalid_input",
    operation: "apt install",
  });
}

async function dryRun(settings: AptSettings, pins: string[], extra: string[] = []): Promise<InstallPlan> {
  const result = await runApt(settings, ["apt-get", "-s", "-q", "install", ...extra, "--", ...pins]);
  if (result.exitCode !== 0) throw aptFailure(result, "apt-get -s install");
  const changes: PlannedChange[] = parseSimulation(result.stdout).actions.map((action) =>
    action.action === "remove"
      ? {
          action: "remove",
          packageName: action.packageName,
          currentVersion: action.currentVersion,
          newVersion: null,
        }
      : {
          action: action.action,
          packageName: action.packageName,
          currentVersion: action.currentVersion,
          newVersion: action.newVersion,
        },
  );
  return { changes, output: result.stdout };
}

/** Runs `apt-get install` with progress from APT::Status-Fd; `pmstatus:pkg:percent:message` lines. */
async function runInstall(settings: AptSettings, argvTail: string[], progress: Progress): Promise<RunResult> {
  return runApt(
    settings,
    ["apt-get", "install", "-y", "-q", "-o", "APT::Status-Fd=3", ...keepConfigFiles, ...argvTail],
    {
      timeoutMs: aptTimeouts.install,
      onStatusLine: (line) => {
        const status = parseStatusLine(line);
        if (status) progress(status.percent, status.message);
      },
    },
  );
}

export function parseStatusLine(line: string): { percent: number; message: string } | null {
  const match = /^(pmstatus|dlstatus):([^:]*):([0-9.]+):(.*)$/.exec(line.trim());
  if (!match) return null;
  const percent = Math.min(100, Math.max(0, Number(match[3])));
  if (!Number.isFinite(percent)) return null;
  const message = toPrintableText(match[4] ?? "", 500);
  return { percent: match[1] === "dlstatus" ? percent * 0.2 : 20 + percent * 0.8, message };
}

async function installedVersions(
  settings: AptSettings,
  names: string[],
): Promise<Map<string, PackagePolicy>> {
  const result = await runApt(settings, ["apt-cache", "policy", "--", ...names]);
  return new Map(parsePolicy(result.stdout).map((policy) => [policy.packageName, policy]));
}

/** Each target's outcome: installed only when the dpkg database now holds exactly `expected(target)`. */
async function verify(
  settings: AptSettings,
  targets: CommandTarget[],
  expected: (target: CommandTarget) => string,
  failure: string,
): Promise<ItemOutcome[]> {
  const policies = await installedVersions(
    settings,
    targets.map((target) => target.packageName),
  );
  return targets.map((target) => {
    const installed = policies.get(target.packageName)?.installed ?? null;
    const wanted = expected(target);
    if (installed === wanted) {
      return { updateId: target.updateId, status: "installed", installedVersion: installed, message: "" };
    }
    return {
      updateId: target.updateId,
      status: "failed",
      installedVersion: installed,
      message: `${failure}: installed version is ${installed ?? "none"}, expected ${wanted}`,
    };
  });
}

async function install(
  settings: AptSettings,
  targets: CommandTarget[],
  progress: Progress,
): Promise<InstallResult> {
  const pins = targets.map(pinnedTarget);
  const plan = await dryRun(settings, pins, ["--only-upgrade"]);
  progress(0, `Plan: ${describePlan(plan)}`.slice(0, 1000), true);
  const result = await runInstall(settings, ["--only-upgrade", "--", ...pins], progress);
  const outcomes = await withRollbackAvailability(
    settings,
    targets,
    await verify(settings, targets, (target) => target.availableVersion, "install not verified"),
  );
  progress(100, describeOutcomes(outcomes), true);
  const output = [
    `$ ${result.argv.join(" ")}`,
    `Plan: ${describePlan(plan)}`,
    result.stdout,
    result.stderr,
  ].join("\n");
  return { outcomes, output, exitCode: result.exitCode };
}

/**
 * `apt-get install -d`: the targets' packages (and the dependencies an install would pull) into
 * apt's cache (`Dir::Cache::archives`), nothing unpacked or configured; the window's install then
 * finds them there. A target counts as downloaded when its exact `.deb` is in the cache.
 */
async function downloadOnly(settings: AptSettings, targets: CommandTarget[]): Promise<DownloadResult> {
  const pins = targets.map(pinnedTarget);
  const result = await runApt(
    settings,
    ["apt-get", "install", "-d", "-y", "-q", "--only-upgrade", "--", ...pins],
    { timeoutMs: aptTimeouts.install },
  );
  const directory = await archivesDirectory(settings);
  const outcomes: DownloadOutcome[] = targets.map((target) => {
    const file = cachedPackage(directory, target.packageName, target.availableVersion);
    return file
      ? { updateId: target.updateId, downloaded: true, message: `in apt's cache: ${basename(file)}` }
      : {
          updateId: target.updateId,
          downloaded: false,
          message: `not in apt's cache after apt-get install -d (exit ${result.exitCode ?? "killed"})`,
        };
  });
  const output = [`$ ${result.argv.join(" ")}`, result.stdout, result.stderr].join("\n");
  return { outcomes, output, exitCode: result.exitCode };
}

/** The version a rollback returns to: the one installed before the update. */
function previousVersion(target: CommandTarget): string | null {
  return target.currentVersion;
}

async function archivesDirectory(settings: AptSettings): Promise<string | null> {
  const result = await runApt(settings, ["apt-config", "shell", "ARCHIVES", "Dir::Cache::archives/d"]);
  const match = /^ARCHIVES='(.*)'$/m.exec(result.stdout);
  return match?.[1] ?? null;
}

/** A `.deb` of that exact version in apt's cache (`name_version_arch.deb`, `:` written `%3a`). */
function cachedPackage(directory: string | null, name: string, version: string): string | null {
  if (!directory) return null;
  const prefix = `${name}_${version.replace(":", "%3a")}_`;
  try {
    const file = readdirSync(directory).find((entry) => entry.startsWith(prefix) && entry.endsWith(".deb"));
    return file ? join(directory, file) : null;
  } catch {
    return null;
  }
}

/**
 * Marks each installed outcome with whether the version it replaced can still be installed: a
 * configured repository still offers it, or apt's cache still holds its `.deb` (what `rollback` uses).
 */
async function withRollbackAvailability(
  settings: AptSettings,
  targets: CommandTarget[],
  outcomes: ItemOutcome[],
): Promise<ItemOutcome[]> {
  const installed = outcomes.filter((outcome) => outcome.status === "installed");
  if (installed.length === 0) return outcomes;
  const byUpdate = new Map(targets.map((target) => [target.updateId, target]));
  const policies = await installedVersions(
    settings,
    installed.flatMap((outcome) => byUpdate.get(outcome.updateId)?.packageName ?? []),
  );
  const archives = await archivesDirectory(settings);
  return outcomes.map((outcome) => {
    const target = byUpdate.get(outcome.updateId);
    const previous = target ? previousVersion(target) : null;
    if (outcome.status !== "installed" || !target) return outcome;
    if (!previous) return { ...outcome, rollbackAvailable: false };
    const policy = policies.get(target.packageName);
    const available =
      (policy !== undefined && isInArchive(policy, previous)) ||
      cachedPackage(archives, target.packageName, previous) !== null;
    return { ...outcome, rollbackAvailable: available };
  });
}

async function rollback(
  settings: AptSettings,
  targets: CommandTarget[],
  progress: Progress,
): Promise<InstallResult> {
  const policies = await installedVersions(
    settings,
    targets.map((target) => target.packageName),
  );
  const archives = await archivesDirectory(settings);
  const outcomes: ItemOutcome[] = [];
  const sources: string[] = [];
  const rollable: CommandTarget[] = [];
  for (const target of targets) {
    const previous = previousVersion(target);
    const policy = policies.get(target.packageName);
    if (!previous) {
      outcomes.push(skipped(target, "no previous version is known, so there is nothing to roll back to"));
      continue;
    }
    if (policy && isInArchive(policy, previous)) {
      sources.push(pin(target.packageName, previous));
      rollable.push(target);
      continue;
    }
    const cached = cachedPackage(archives, target.packageName, previous);
    if (cached) {
      pin(target.packageName, previous);
      sources.push(cached);
      rollable.push(target);
      continue;
    }
    outcomes.push({
      updateId: target.updateId,
      status: "failed",
      installedVersion: policy?.installed ?? null,
      message: `Cannot roll back ${target.packageName} to ${previous}: that version is in no configured repository and not in apt's package cache`,
    });
  }
  if (rollable.length === 0) {
    return { outcomes, output: outcomes.map((outcome) => outcome.message).join("\n"), exitCode: null };
  }
  progress(
    0,
    `Rolling back ${rollable.map((target) => `${target.packageName} to ${previousVersion(target)}`).join(", ")}`,
  );
  const result = await runInstall(settings, ["--allow-downgrades", "--", ...sources], progress);
  outcomes.push(
    ...(await verify(settings, rollable, (target) => previousVersion(target) ?? "", "rollback not verified")),
  );
  progress(100, describeOutcomes(outcomes), true);
  return {
    outcomes,
    output: [`$ ${result.argv.join(" ")}`, result.stdout, result.stderr].join("\n"),
    exitCode: result.exitCode,
  };
}

function skipped(target: CommandTarget, message: string): ItemOutcome {
  return { updateId: target.updateId, status: "skipped", installedVersion: null, message };
}

function describeOutcomes(outcomes: ItemOutcome[]): string {
  const installed = outcomes.filter((outcome) => outcome.status === "installed").length;
  return `${installed} of ${outcomes.length} verified at the expected version`;
}
