import { maxRebootReasons, toPrintableText } from "@redflag/contracts";
import type { Scanner } from "../package-managers/package-manager.ts";

/** Tabs, C1 controls and the invisible characters a name may not hold (the contract's nameText). */
const notShownInNames = /[\t\u0080-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;

/**
 * What the check-in says about a pending reboot: whether any package manager wants one, and why
 * (bounded: at most `maxRebootReasons` short lines, as the contract takes them).
 */
export async function collectRebootStatus(
  scanners: readonly Scanner[],
): Promise<{ rebootRequired: boolean; rebootReasons: string[] }> {
  const statuses = await Promise.all(scanners.map((scanner) => scanner.rebootStatus()));
  const reasons = [
    ...new Set(
      statuses
        .flatMap((status) => status.reasons)
        .map((reason) => toPrintableText(reason.replace(notShownInNames, " "), 200).trim())
        .filter((reason) => reason !== ""),
    ),
  ];
  return {
    rebootRequired: statuses.some((status) => status.required),
    rebootReasons: reasons.slice(0, maxRebootReasons),
  };
}
