import { basename } from "node:path";
import type { CommandTarget, ItemOutcome } from "@redflag/contracts";
import type { ConfigFile } from "../../config/config.ts";
import { tailOfOutput } from "../../errors.ts";
import type { DownloadSettings } from "../download-settings.ts";
import {
  changeExceptHeld,
  type DownloadOutcome,
  type DownloadResult,
  type Installer,
  type InstallPlan,
  type InstallResult,
  type PlannedChange,
  type Progress,
} from "../package-manager.ts";
import {
  cachedRpm,
  dnfCacheDirectories,
  formatEvr,
  installedEvr,
  isExactlyInstalled,
  isLockedAway,
  nevraArgument,
  parseRpmQuery,
  parseTransaction,
  parseTransactionProgress,
  parseVersionlockList,
  type RpmQueryResult,
  repoqueryArgv,
  rpmFileName,
  rpmQueryArgv,
  transactionArgv,
  versionlockHeldMessage,
  versionlockListArgv,
} from "./index.ts";
import { type DnfSettings, dnfSettings, runDnf } from "./run.ts";

export function createDnfInstaller(config: ConfigFile, download: DownloadSettings | null = null): Installer {
  const settings = dnfSettings(config, download);
  return {
    packageType: "dnf",
    dryRun: async (targets) => plan(settings, "upgrade", targets.map(offered)),
    download: (targets) => downloadOnly(settings, targets),
    install: async (targets, progress) =>
      changeExceptHeld(targets, await heldCheck(settings), (free) => install(settings, free, progress)),
    rollback: async (targets, progress) =>
      changeExceptHeld(targets, await heldCheck(settings, "rollback"), (free) =>
        rollback(settings, free, progress),
      ),
  };
}

/** dnf leaves a version a lock keeps it from ("No match for argument"): the lock is the host's to lift. */
async function heldCheck(settings: DnfSettings, change: "install" | "rollback" = "install") {
  const locks = parseVersionlockList(await runDnf(versionlockListArgv(settings.dnf), "dnf versionlock list"));
  return (target: CommandTarget) =>
    isLockedAway(
      locks,
      target.packageName,
      (change === "install" ? target.availableVersion : target.currentVersion) ?? "",
      target.target || "noarch",
    )
      ? versionlockHeldMessage(target.packageName)
      : null;
}

/** The offered build as dnf names it: `name-[epoch:]version-release.arch` (target is the arch). */
function offered(target: CommandTarget): string {
  return nevraArgument(target.packageName, target.availableVersion, target.target || "noarch");
}

async function installed(settings: DnfSettings, names: string[]): Promise<RpmQueryResult> {
  return parseRpmQuery(await runDnf(rpmQueryArgv([...new Set(names)], settings.rpm), "rpm -q"));
}

/** The dry run: `dnf upgrade|downgrade --assumeno` resolves the transaction and stops. */
async function plan(
  settings: DnfSettings,
  action: "upgrade" | "downgrade",
  nevras: string[],
): Promise<InstallPlan> {
  const operation = `dnf ${action} --assumeno`;
  const result = await runDnf(transactionArgv(action, nevras, settings.dnf, "dry-run"), operation);
  const packages = parseTransaction(result, operation);
  const before =
    packages.length === 0
      ? null
      : await installed(
          settings,
          packages.map((entry) => entry.name),
        );
  const changes: PlannedChange[] = packages.map((entry) => {
    const current = before === null ? null : installedEvr(before, entry.name, entry.arch);
    return {
      action: entry.action,
      packageName: entry.name,
      currentVersion: current === null ? null : formatEvr(current),
      newVersion: entry.action === "remove" ? null : entry.evr,
    };
  });
  return { changes, output: result.stdout };
}

async function runTransaction(
  settings: DnfSettings,
  action: "upgrade" | "downgrade",
  nevras: string[],
  progress: Progress,
) {
  return runDnf(transactionArgv(action, nevras, settings.dnf), `dnf ${action}`, (line) => {
    const step = parseTransactionProgress(line);
    if (step !== null) progress(10 + (85 * step.step) / step.total, step.message);
  });
}

/** Installed only when rpm now holds exactly the wanted build, epoch included. */
function verify(
  targets: CommandTarget[],
  rpm: RpmQueryResult,
  wanted: (target: CommandTarget) => string,
  failure: string,
): ItemOutcome[] {
  return targets.map((target) => {
    const arch = target.target || "noarch";
    const current = installedEvr(rpm, target.packageName, arch);
    const installedVersion = current === null ? null : formatEvr(current);
    if (isExactlyInstalled(rpm, target.packageName, arch, wanted(target))) {
      return { updateId: target.updateId, status: "installed", installedVersion, message: "" };
    }
    return {
      updateId: target.updateId,
      status: "failed",
      installedVersion,
      message: `${failure}: rpm -q shows ${installedVersion ?? "not installed"}, expected ${wanted(target)}`,
    };
  });
}

async function install(
  settings: DnfSettings,
  targets: CommandTarget[],
  progress: Progress,
): Promise<InstallResult> {
  const nevras = targets.map(offered);
  const dryRun = await plan(settings, "upgrade", nevras);
  progress(5, `Plan: ${describeChanges(dryRun.changes)}`.slice(0, 1000), true);
  const result = await runTransaction(settings, "upgrade", nevras, progress);
  const outcomes = await withRollbackAvailability(
    settings,
    targets,
    verify(
      targets,
      await installed(
        settings,
        targets.map((target) => target.packageName),
      ),
      (target) => target.availableVersion,
      result.exitCode === 0 ? "install not verified" : `dnf upgrade exited with ${result.exitCode}`,
    ),
  );
  progress(100, describeOutcomes(outcomes), true);
  return {
    outcomes,
    output: [`$ ${result.argv.join(" ")}`, result.stdout, tailOfOutput(result.stderr, 40, 8000)].join("\n"),
    exitCode: result.exitCode,
  };
}

/**
 * `dnf upgrade --downloadonly` with the install's own options (root, config, the profile's proxy and
 * throttle): the transaction's packages into dnf's cache, nothing installed; the window's
 * `dnf upgrade` then finds them there. A target counts as downloaded when its exact rpm
 * (`name-version-release.arch.rpm`) is in the cache and whole (`rpm -K`: its digests match).
 */
async function downloadOnly(settings: DnfSettings, targets: CommandTarget[]): Promise<DownloadResult> {
  const result = await runDnf(
    transactionArgv("upgrade", targets.map(offered), settings.dnf, "download-only"),
    "dnf upgrade --downloadonly",
  );
  const directories = dnfCacheDirectories(settings.dnf);
  const outcomes: DownloadOutcome[] = [];
  for (const target of targets) {
    const fileName = rpmFileName(target.packageName, target.availableVersion, target.target || "noarch");
    const file = fileName === null ? null : cachedRpm(directories, fileName);
    const whole =
      file !== null &&
      (await runDnf([settings.rpm.program ?? "rpm", "-K", "--nosignature", "--", file], "rpm -K"))
        .exitCode === 0;
    outcomes.push(
      file !== null && whole
        ? { updateId: target.updateId, downloaded: true, message: `in dnf's cache: ${basename(file)}` }
        : {
            updateId: target.updateId,
            downloaded: false,
            message:
              file === null
                ? `not in dnf's cache after dnf upgrade --downloadonly (exit ${result.exitCode ?? "killed"})`
                : `${basename(file)} is in dnf's cache but its digests do not match (rpm -K)`,
          },
    );
  }
  return {
    outcomes,
    output: [`$ ${result.argv.join(" ")}`, result.stdout, tailOfOutput(result.stderr, 40, 8000)].join("\n"),
    exitCode: result.exitCode,
  };
}

/** Whether an enabled repository still offers `nevra` (what `rollback` downgrades to). */
async function isOffered(settings: DnfSettings, nevra: string) {
  const query = await runDnf(repoqueryArgv(nevra, settings.dnf), "dnf repoquery");
  return { offered: query.exitCode === 0 && query.stdout.trim() !== "", query };
}

/** Marks each installed outcome with whether a repository still offers the version it replaced. */
async function withRollbackAvailability(
  settings: DnfSettings,
  targets: CommandTarget[],
  outcomes: ItemOutcome[],
): Promise<ItemOutcome[]> {
  const byUpdate = new Map(targets.map((target) => [target.updateId, target]));
  const marked: ItemOutcome[] = [];
  for (const outcome of outcomes) {
    const target = byUpdate.get(outcome.updateId);
    if (outcome.status !== "installed" || !target) {
      marked.push(outcome);
    } else if (target.currentVersion === null) {
      marked.push({ ...outcome, rollbackAvailable: false });
    } else {
      const nevra = nevraArgument(target.packageName, target.currentVersion, target.target || "noarch");
      const { offered, query } = await isOffered(settings, nevra);
      // A repoquery that failed says nothing either way.
      marked.push(query.exitCode === 0 ? { ...outcome, rollbackAvailable: offered } : outcome);
    }
  }
  return marked;
}

/** Back to the version installed before the update, when a repository still offers it. */
async function rollback(
  settings: DnfSettings,
  targets: CommandTarget[],
  progress: Progress,
): Promise<InstallResult> {
  const outcomes: ItemOutcome[] = [];
  const rollable: CommandTarget[] = [];
  const nevras: string[] = [];
  for (const target of targets) {
    if (target.currentVersion === null) {
      outcomes.push({
        updateId: target.updateId,
        status: "skipped",
        installedVersion: null,
        message: "no previous version is known, so there is nothing to roll back to",
      });
      continue;
    }
    const nevra = nevraArgument(target.packageName, target.currentVersion, target.target || "noarch");
    const { offered, query } = await isOffered(settings, nevra);
    if (!offered) {
      outcomes.push({
        updateId: target.updateId,
        status: "failed",
        installedVersion: null,
        message: `Cannot roll back to ${nevra}: no enabled repository offers it any more${query.exitCode === 0 ? "" : ` (dnf repoquery exited with ${query.exitCode}: ${tailOfOutput(query.stderr, 3)})`}`,
      });
      continue;
    }
    rollable.push(target);
    nevras.push(nevra);
  }
  if (rollable.length === 0) {
    return { outcomes, output: outcomes.map((outcome) => outcome.message).join("\n"), exitCode: null };
  }
  progress(5, `Rolling back: ${nevras.join(", ")}`.slice(0, 1000), true);
  const result = await runTransaction(settings, "downgrade", nevras, progress);
  outcomes.push(
    ...verify(
      rollable,
      await installed(
        settings,
        rollable.map((target) => target.packageName),
      ),
      (target) => target.currentVersion ?? "",
      result.exitCode === 0 ? "rollback not verified" : `dnf downgrade exited with ${result.exitCode}`,
    ),
  );
  progress(100, describeOutcomes(outcomes), true);
  return {
    outcomes,
    output: [`$ ${result.argv.join(" ")}`, result.stdout, tailOfOutput(result.stderr, 40, 8000)].join("\n"),
    exitCode: result.exitCode,
  };
}

function describeChanges(changes: PlannedChange[]): string {
  if (changes.length === 0) return "nothing to do";
  return changes
    .map((change) =>
      `${change.action} ${change.packageName} ${change.currentVersion ? `${change.currentVersion} → ` : ""}${change.newVersion ?? ""}`.trim(),
    )
    .join("; ");
}

function describeOutcomes(outcomes: ItemOutcome[]): string {
  const verified = outcomes.filter((outcome) => outcome.status === "installed").length;
  return `${verified} of ${outcomes.length} verified at the expected version`;
}
