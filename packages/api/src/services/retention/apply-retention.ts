import {
  auditEvents,
  commandLogs,
  type DatabaseOrTransaction,
  notificationDeliveries,
  scans,
} from "@redflag/db";
import { and, inArray, lt } from "drizzle-orm";
import { getSettings } from "../settings/get-settings.ts";

const dayMs = 24 * 60 * 60 * 1000;

export type RetentionResult = {
  /** Rows deleted per kind. */
  deleted: { auditEvents: number; scans: number; commandLogs: number; notificationDeliveries: number };
  /** False when a kind still has rows past its age (the batch limit was reached): run again soon. */
  complete: boolean;
};

/**
 * Deletes audit events, scans and command logs older than their retention settings (0 = keep
 * forever), and notification deliveries that were sent or failed with the command logs' setting, in batches of `batchSize` rows, each its own statement so no lock is held for long and
 * the embedded database is never busy for long; at most `maxBatches` batches per kind per call.
 */
export async function applyRetention(
  db: DatabaseOrTransaction,
  options: { now?: Date; batchSize?: number; maxBatches?: number } = {},
): Promise<RetentionResult> {
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 1_000;
  const maxBatches = options.maxBatches ?? 10;
  const settings = await getSettings(db);
  const cutoff = (days: number) => (days === 0 ? null : new Date(now.getTime() - days * dayMs));

  const kinds = [
    {
      name: "auditEvents",
      cutoff: cutoff(settings.auditRetentionDays),
      deleteBatch: (before: Date) =>
        db
          .delete(auditEvents)
          .where(
            inArray(
              auditEvents.id,
              db
                .select({ id: auditEvents.id })
                .from(auditEvents)
                .where(lt(auditEvents.createdAt, before))
                .limit(batchSize),
            ),
          )
          .returning({ id: auditEvents.id }),
    },
    {
      name: "scans",
      cutoff: cutoff(settings.scanRetentionDays),
      deleteBatch: (before: Date) =>
        db
          .delete(scans)
          .where(
            inArray(
              scans.id,
              db.select({ id: scans.id }).from(scans).where(lt(scans.receivedAt, before)).limit(batchSize),
            ),
          )
          .returning({ id: scans.id }),
    },
    {
      name: "commandLogs",
      cutoff: cutoff(settings.commandLogRetentionDays),
      deleteBatch: (before: Date) =>
        db
          .delete(commandLogs)
          .where(
            inArray(
              commandLogs.id,
              db
                .select({ id: commandLogs.id })
                .from(commandLogs)
                .where(lt(commandLogs.createdAt, before))
                .limit(batchSize),
            ),
          )
          .returning({ id: commandLogs.id }),
    },
    {
      // The delivery log: what was sent or given up on; a delivery still to be sent is kept.
      name: "notificationDeliveries",
      cutoff: cutoff(settings.commandLogRetentionDays),
      deleteBatch: (before: Date) =>
        db
          .delete(notificationDeliveries)
          .where(
            inArray(
              notificationDeliveries.id,
              db
                .select({ id: notificationDeliveries.id })
                .from(notificationDeliveries)
                .where(
                  and(
                    lt(notificationDeliveries.createdAt, before),
                    inArray(notificationDeliveries.status, ["sent", "failed"]),
                  ),
                )
                .limit(batchSize),
            ),
          )
          .returning({ id: notificationDeliveries.id }),
    },
  ] as const;

  const deleted = { auditEvents: 0, scans: 0, commandLogs: 0, notificationDeliveries: 0 };
  let complete = true;
  for (const kind of kinds) {
    if (!kind.cutoff) continue;
    for (let batch = 0; ; batch++) {
      if (batch === maxBatches) {
        complete = false;
        break;
      }
      const rows = await kind.deleteBatch(kind.cutoff);
      deleted[kind.name] += rows.length;
      if (rows.length < batchSize) break;
    }
  }
  return { deleted, complete };
}
