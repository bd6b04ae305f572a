import type { ScanItem, Severity } from "@redflag/contracts";
import { AgentError } from "../../errors.ts";
import { toScanItem } from "../package-manager.ts";
import type { CheckUpdateResult } from "./check-update.ts";
import { compareEvr, formatEvr, parseEvr } from "./names.ts";
import { installedEvr, type RpmQueryResult } from "./rpm-query.ts";
import type { AdvisoryDetails, AdvisoryPackage } from "./updateinfo.ts";

export type DnfScanInput = {
  checkUpdate: CheckUpdateResult;
  /** `updateinfo list` (all types, so bugfix advisories land in metadata too). */
  advisories: AdvisoryPackage[];
  /** `updateinfo info`, for CVE ids; may be empty when only the list was read. */
  advisoryDetails: AdvisoryDetails[];
  /** `rpm -q` of the updated names, for the installed versions. */
  installed: RpmQueryResult;
};

const severityRank: Record<Severity, number> = { unknown: 0, low: 1, moderate: 2, important: 3, critical: 4 };

/**
 * One scan item per available update: name, arch as target, installed and offered EVR (epoch kept
 * when not zero), and — from advisories of type security that this update satisfies — the security
 * flag, the highest severity and the CVE ids.
 */
export function dnfScanItems(input: DnfScanInput): ScanItem[] {
  const details = new Map(input.advisoryDetails.map((advisory) => [advisory.advisoryId, advisory]));
  return input.checkUpdate.updates.map((update) => {
    const available = parseEvr(update.evr);
    if (available === null) {
      throw new AgentError(`${update.name}: ${update.evr} is not a version-release`, {
        source: "dnf",
        kind: "unrecognized",
        operation: "map dnf updates",
      });
    }
    const current = installedEvr(input.installed, update.name, update.arch);
    const matching = input.advisories.filter(
      (advisory) =>
        advisory.package.name === update.name &&
        advisory.package.arch === update.arch &&
        compareEvr(advisory.package, available) <= 0 &&
        (current === null || compareEvr(advisory.package, current) > 0),
    );
    const advisoryIds = [...new Set(matching.map((advisory) => advisory.advisoryId))];
    const security = matching.filter(
      (advisory) => advisory.type === "security" || details.get(advisory.advisoryId)?.type === "security",
    );
    let severity: Severity = "unknown";
    const cves = new Set<string>();
    for (const advisory of security) {
      const detail = details.get(advisory.advisoryId);
      const advisorySeverity =
        advisory.severity !== "unknown" ? advisory.severity : (detail?.severity ?? "unknown");
      if (severityRank[advisorySeverity] > severityRank[severity]) severity = advisorySeverity;
      for (const cve of detail?.cves ?? []) cves.add(cve);
    }
    return toScanItem("dnf", {
      packageName: update.name,
      target: update.arch,
      currentVersion: current === null ? null : formatEvr(current),
      availableVersion: formatEvr(available),
      severity,
      security: security.length > 0,
      cves: [...cves].sort(),
      source: update.repository,
      sizeBytes: null,
      metadata: {
        advisories: advisoryIds.map((id) => {
          const advisory = matching.find((candidate) => candidate.advisoryId === id);
          return { id, type: advisory?.type ?? "unspecified", severity: advisory?.severity ?? "unknown" };
        }),
        ...(update.obsoletes.length > 0
          ? { obsoletes: update.obsoletes.map((old) => `${old.name}.${old.arch} ${old.evr}`) }
          : {}),
      },
    });
  });
}
