import type { CommandTarget, ItemOutcome, PackageType, ScanItem } from "@redflag/contracts";
import { type ConfigFile, configFileSchema } from "../../src/config/config.ts";
import type { Progress } from "../../src/package-managers/package-manager.ts";

/** A validated agent config file, as the agent would load it. */
export function agentConfig(value: Record<string, unknown>): ConfigFile {
  return configFileSchema.parse(value);
}

let sequence = 0;

/** A command target for an item a scan found, as the server would lease it. */
export function targetFor(packageType: PackageType, item: ScanItem): CommandTarget {
  sequence++;
  return {
    updateId: `upd_${String(sequence).padStart(26, "0")}`,
    packageType,
    packageName: item.packageName,
    target: item.target,
    currentVersion: item.currentVersion,
    availableVersion: item.availableVersion,
  };
}

/** Collects progress reports. */
export function recordProgress(): {
  progress: Progress;
  reports: { percent: number | null; message: string }[];
} {
  const reports: { percent: number | null; message: string }[] = [];
  return { progress: (percent, message) => reports.push({ percent, message }), reports };
}

export function statuses(outcomes: ItemOutcome[]): string[] {
  return outcomes.map((outcome) => `${outcome.status} ${outcome.installedVersion ?? "-"}`);
}
