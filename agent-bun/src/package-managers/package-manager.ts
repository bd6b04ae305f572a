import {
  type CommandTarget,
  type ItemOutcome,
  type PackageType,
  packageMetadataSchemas,
  type ScanItem,
  scanItemSchema,
} from "@redflag/contracts";
import type { ConfigFile } from "../config/config.ts";
import { AgentError } from "../errors.ts";
import type { DownloadSettings } from "./download-settings.ts";

/**
 * The contract every package manager fulfils (the registry lists them; each folder beside this file
 * is one of them). Scanners and installers throw `AgentError` when they cannot do their job.
 */

/** Finds the updates of one package type. A scanner throws when it cannot tell (the error is reported). */
export type Scanner = {
  packageType: PackageType;
  /** Whether this host has the package manager at all (apt on Debian, not on Fedora or Windows). */
  isAvailable: () => Promise<boolean>;
  scan: () => Promise<ScanItem[]>;
  /** Whether the packages this manager installed want a reboot, and why: short lines (package names, Windows' flag). */
  rebootStatus: () => Promise<RebootStatus>;
};

export type RebootStatus = { required: boolean; reasons: string[] };
export const notRequired: RebootStatus = { required: false, reasons: [] };

export type PlannedChange = {
  action: "install" | "upgrade" | "downgrade" | "reinstall" | "remove";
  packageName: string;
  currentVersion: string | null;
  newVersion: string | null;
};

/** What an install would do, dependencies included, computed without changing anything. */
export type InstallPlan = { changes: PlannedChange[]; output: string };

/** Progress of a command; a milestone (the plan, the end) is always sent, other updates may be merged. */
export type Progress = (percent: number | null, message: string, milestone?: boolean) => void;

export type InstallResult = { outcomes: ItemOutcome[]; output: string; exitCode: number | null };

/** Whether each target's package is now in the manager's cache, ready for an install that downloads nothing. */
export type DownloadOutcome = { updateId: CommandTarget["updateId"]; downloaded: boolean; message: string };
export type DownloadResult = { outcomes: DownloadOutcome[]; output: string; exitCode: number | null };

/** Installs updates of one package type: dry run, install (verified), rollback. */
export type Installer = {
  packageType: PackageType;
  dryRun: (targets: CommandTarget[]) => Promise<InstallPlan>;
  /**
   * Fetches the targets' packages into the manager's cache without installing anything (before a
   * maintenance window, so the window only installs). Absent where the manager cannot.
   */
  download?: (targets: CommandTarget[]) => Promise<DownloadResult>;
  install: (targets: CommandTarget[], progress: Progress) => Promise<InstallResult>;
  rollback: (targets: CommandTarget[], progress: Progress) => Promise<InstallResult>;
};

/** One package manager: how to make its scanner and installer from the agent's configuration. */
export type PackageManager = {
  createScanner: (config: ConfigFile) => Scanner;
  /** `download`: the host's download profile for this command (limit, proxy), for managers that have the knobs. */
  createInstaller: (config: ConfigFile, download: DownloadSettings | null) => Installer;
};

/** A plan in one line, for progress messages and command output. */
export function describePlan(plan: InstallPlan): string {
  if (plan.changes.length === 0) return "nothing to do";
  return plan.changes
    .map((change) =>
      change.action === "remove"
        ? `remove ${change.packageName} ${change.currentVersion ?? ""}`.trim()
        : `${change.action} ${change.packageName} ${change.currentVersion ? `${change.currentVersion} → ` : ""}${change.newVersion}`,
    )
    .join("; ");
}

/** Validates one item against the contract; a tool's odd value becomes an `unrecognized` error. */
export function toScanItem(source: PackageType, value: unknown): ScanItem {
  const parsed = scanItemSchema.safeParse(value);
  const metadataIssue = parsed.success
    ? packageMetadataSchemas[source].safeParse(parsed.data.metadata).error?.issues[0]
    : undefined;
  if (metadataIssue) {
    throw new AgentError(
      `item metadata does not fit the ${source} contract (metadata.${metadataIssue.path.join(".")}: ${metadataIssue.message})`,
      { source, kind: "unrecognized", operation: `map ${source} updates` },
    );
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AgentError(
      `item does not fit the scan contract (${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "invalid"})`,
      { source, kind: "unrecognized", operation: `map ${source} updates`, cause: parsed.error },
    );
  }
  return parsed.data;
}

/**
 * A package the host holds (apt-mark hold, dnf versionlock) is not changed: the package manager
 * would refuse it anyway, and the agent never overrides the host. Each held target fails with
 * `heldMessage`, saying where to let go of the hold; the others go ahead. Asked at install time,
 * since a hold may be newer than the last scan.
 */
export async function changeExceptHeld(
  targets: CommandTarget[],
  heldMessage: (target: CommandTarget) => string | null,
  change: (free: CommandTarget[]) => Promise<InstallResult>,
): Promise<InstallResult> {
  const refused: ItemOutcome[] = [];
  const free: CommandTarget[] = [];
  for (const target of targets) {
    const message = heldMessage(target);
    if (message === null) free.push(target);
    else refused.push({ updateId: target.updateId, status: "failed", installedVersion: null, message });
  }
  if (refused.length === 0) return change(targets);
  const heldOutput = refused.map((outcome) => outcome.message).join("\n");
  if (free.length === 0) return { outcomes: refused, output: heldOutput, exitCode: null };
  const result = await change(free);
  return {
    outcomes: [...refused, ...result.outcomes],
    output: `${heldOutput}\n${result.output}`,
    exitCode: result.exitCode,
  };
}
