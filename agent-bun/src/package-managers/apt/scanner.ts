import type { ScanItem, Severity } from "@redflag/contracts";
import type { ConfigFile } from "../../config/config.ts";
import { AgentError } from "../../errors.ts";
import type { Scanner } from "../package-manager.ts";
import { aptHeldPackages, isHeld, showHoldArgv } from "./holds.ts";
import { isSecurityOrigin, isSecuritySuite, type Origin, parseUpgradableList } from "./parse.ts";
import { aptRebootStatus } from "./reboot-required.ts";
import {
  type Archive,
  aptListsDirectoryArgv,
  originsOfSuites,
  parseListsDirectory,
  readArchives,
} from "./release-files.ts";
import { type AptSettings, aptFailure, aptSettings, runApt } from "./run.ts";

export function createAptScanner(config: ConfigFile): Scanner {
  const settings = aptSettings(config);
  return {
    packageType: "apt",
    isAvailable: async () => Bun.which("apt-get") !== null,
    scan: () => scanApt(settings),
    rebootStatus: async () => aptRebootStatus(settings.rebootRequiredFile),
  };
}

/**
 * The commands a scan runs: update, then the listing, and apt's lists directory asked for alongside
 * update (the benchmark runs update and list bare). No `apt-get -s dist-upgrade` simulation: the
 * labels it added come from the Release files (release-files.ts), and what an install would pull in
 * or remove is the dry run's business.
 */
export const aptScanCommands = {
  update: ["apt-get", "update", "-q", "-o", "APT::Update::Error-Mode=any"],
  list: ["apt", "list", "--upgradable"],
  listsDirectory: aptListsDirectoryArgv,
  /** Held packages are still listed as upgradable: this says which of them apt will not touch. */
  holds: showHoldArgv,
};

export async function scanApt(settings: AptSettings): Promise<ScanItem[]> {
  const [update, lists] = await Promise.all([
    runApt(settings, aptScanCommands.update),
    runApt(settings, aptScanCommands.listsDirectory),
  ]);
  if (update.exitCode !== 0) throw aptFailure(update, "apt-get update");
  if (lists.exitCode !== 0) throw aptFailure(lists, "apt-config shell");
  const listsDirectory = parseListsDirectory(lists.stdout);
  if (!listsDirectory) {
    throw new AgentError(`unexpected output: ${lists.stdout.trim().slice(0, 200)}`, {
      source: "apt",
      kind: "unrecognized",
      operation: "apt-config shell",
    });
  }
  const [list, held] = await Promise.all([runApt(settings, aptScanCommands.list), aptHeldPackages(settings)]);
  if (list.exitCode !== 0) throw aptFailure(list, "apt list --upgradable");
  return aptScanItems(list.stdout, readArchives(listsDirectory), held);
}

/**
 * `apt list --upgradable` names every upgradable package and the suites of its candidate; the
 * archives (Release files) add each suite's label (`Debian-Security`) and release; `held` marks the
 * packages the host holds back (they are pending all the same).
 */
export function aptScanItems(
  listOutput: string,
  archives: Archive[],
  held: ReadonlySet<string> = new Set(),
): ScanItem[] {
  const list = parseUpgradableList(listOutput);
  if (list.problems.length > 0) {
    throw new AgentError(
      `unexpected output: ${list.problems
        .slice(0, 3)
        .map((problem) => `${problem.reason}: ${problem.line}`)
        .join("; ")}`,
      { source: "apt", kind: "unrecognized", operation: "apt list --upgradable" },
    );
  }
  return list.items.map((line) => {
    const origins = originsOfSuites(line.suites, archives);
    const security = line.suites.some(isSecuritySuite) || origins.some(isSecurityOrigin);
    const severity: Severity = security ? "important" : "low";
    const source = origins.map(describeOrigin).join(", ") || null;
    return {
      packageName: line.packageName,
      target: "",
      currentVersion: line.currentVersion,
      availableVersion: line.availableVersion,
      severity,
      security,
      cves: [],
      source: source ? source.slice(0, 256) : null,
      sizeBytes: null,
      metadata: { architecture: line.architecture, suites: line.suites },
      held: isHeld(held, line.packageName, line.architecture),
    };
  });
}

function describeOrigin(origin: Origin): string {
  return `${origin.label ? `${origin.label}:` : ""}${origin.release ? `${origin.release}/` : ""}${origin.suite}`;
}
