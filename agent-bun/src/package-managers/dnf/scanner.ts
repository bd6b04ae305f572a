import type { ScanItem } from "@redflag/contracts";
import type { ConfigFile } from "../../config/config.ts";
import { notRequired, type RebootStatus, type Scanner } from "../package-manager.ts";
import {
  checkUpdateArgv,
  dnfScanItems,
  isLockedAway,
  needsRestartingArgv,
  needsRestartingReasons,
  parseCheckUpdate,
  parseNeedsRestarting,
  parseRpmQuery,
  parseUpdateinfoInfo,
  parseUpdateinfoList,
  parseVersionlockList,
  rpmQueryArgv,
  updateinfoInfoArgv,
  updateinfoListArgv,
  versionlockListArgv,
  versionlockPlugin,
} from "./index.ts";
import { type DnfSettings, dnfSettings, isDnfAvailable, runDnf } from "./run.ts";

export function createDnfScanner(config: ConfigFile): Scanner {
  const settings = dnfSettings(config);
  return {
    packageType: "dnf",
    isAvailable: async () => isDnfAvailable(settings),
    scan: () => scanDnf(settings),
    rebootStatus: () => dnfRebootStatus(settings),
  };
}

/** The commands a scan runs (the benchmark runs the same ones bare); rpm -q follows with the names. */
export function dnfScanCommands(settings: DnfSettings) {
  return {
    checkUpdate: checkUpdateArgv(settings.dnf),
    advisories: updateinfoListArgv(settings.dnf),
    advisoryDetails: updateinfoInfoArgv(settings.dnf, { securityOnly: true }),
  };
}

/**
 * The host's version locks, then check-update (it refreshes expired metadata), then the advisories,
 * and the installed versions alongside. An error of any of them fails the scan: never a partial list.
 */
export async function scanDnf(settings: DnfSettings): Promise<ScanItem[]> {
  const locks = parseVersionlockList(await runDnf(versionlockListArgv(settings.dnf), "dnf versionlock list"));
  // With the versionlock plugin on, dnf hides what a lock keeps back: asked without it, those
  // updates are listed (they are pending) and marked held.
  const commands = dnfScanCommands(
    locks.length === 0
      ? settings
      : {
          ...settings,
          dnf: {
            ...settings.dnf,
            disablePlugins: [...(settings.dnf.disablePlugins ?? []), versionlockPlugin],
          },
        },
  );
  const checkUpdate = parseCheckUpdate(await runDnf(commands.checkUpdate, "dnf check-update"));
  if (checkUpdate.updates.length === 0) return [];
  const names = [...new Set(checkUpdate.updates.map((update) => update.name))];
  // dnf takes a lock on its metadata, so dnf runs one at a time (side by side they only wait for
  // each other); rpm -q reads the rpm database and runs alongside.
  const installedQuery = runDnf(rpmQueryArgv(names, settings.rpm), "rpm -q").then(parseRpmQuery);
  const advisories = parseUpdateinfoList(await runDnf(commands.advisories, "dnf updateinfo list"));
  const advisoryDetails = parseUpdateinfoInfo(await runDnf(commands.advisoryDetails, "dnf updateinfo info"));
  const installed = await installedQuery;
  return dnfScanItems({ checkUpdate, advisories, advisoryDetails, installed }).map((item) => ({
    ...item,
    // The full NEVRA, as Fedora and RHEL people name a package build.
    held: isLockedAway(locks, item.packageName, item.availableVersion, item.target),
    metadata: {
      ...item.metadata,
      nevra: `${item.packageName}-${item.availableVersion}.${item.target}`,
      ...(item.currentVersion === null
        ? {}
        : { installedNevra: `${item.packageName}-${item.currentVersion}.${item.target}` }),
    },
  }));
}

/** `dnf needs-restarting -r`; a missing plugin or an error reads as "not known to be needed". */
async function dnfRebootStatus(settings: DnfSettings): Promise<RebootStatus> {
  if (!isDnfAvailable(settings)) return notRequired;
  try {
    const output = await runDnf(needsRestartingArgv(settings.dnf), "dnf needs-restarting -r");
    if (!parseNeedsRestarting(output)) return notRequired;
    const packages = needsRestartingReasons(output);
    return {
      required: true,
      reasons:
        packages.length > 0 ? packages.map((name) => `${name} updated since boot`) : ["dnf needs-restarting"],
    };
  } catch {
    return notRequired;
  }
}
