import type { UpdateId } from "@redflag/contracts";

/**
 * A scan report's changes are one audit event on the agent, not one per update: its `after` holds the
 * scan id, the counts and, per action an update would have had alone (`update.available`,
 * `update.resolved`, `update.changed`, …), the ids of the updates it applies to. An update's own
 * history (listAuditEvents by update id) shows its part of these events as events of its own.
 */
export const scanReconciledAction = "scan.reconciled";

/** Per action, the ids of the updates a scan report changed that way. */
export type ReconciledUpdates = Record<string, UpdateId[]>;

export type ScanReconciledDetails = {
  scanId: string;
  opened: number;
  changed: number;
  closed: number;
  unchanged: number;
  updates: ReconciledUpdates;
};
