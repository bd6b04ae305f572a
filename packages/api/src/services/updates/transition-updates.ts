import type { UpdateStatus } from "@redflag/contracts";
import { type DatabaseOrTransaction, updates } from "@redflag/db";
import { inArray } from "drizzle-orm";
import type { Actor } from "../../actor.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";

type UpdateRow = typeof updates.$inferSelect;
type Patch = Partial<Pick<UpdateRow, "installedVersion" | "lastCommandId" | "currentVersion">>;

/**
 * The one way an update changes status: every change gets its audit event, written with the caller's
 * transaction. Rows already in `status` (with nothing else to change) are left alone.
 */
export async function transitionUpdates(
  tx: DatabaseOrTransaction,
  options: {
    actor: Actor;
    rows: Pick<UpdateRow, "id" | "status">[];
    status: UpdateStatus;
    patch?: Patch;
    reason?: string;
  },
): Promise<number> {
  const patch = options.patch ?? {};
  const changing = options.rows.filter(
    (row) => row.status !== options.status || Object.keys(patch).length > 0,
  );
  if (changing.length === 0) return 0;
  const now = new Date();
  for (let start = 0; start < changing.length; start += 1000) {
    const ids = changing.slice(start, start + 1000).map((row) => row.id);
    await tx
      .update(updates)
      .set({ status: options.status, statusChangedAt: now, ...patch })
      .where(inArray(updates.id, ids));
  }
  await recordAuditEvents(tx, {
    actor: options.actor,
    entries: changing.map((row) => ({
      action: `update.${options.status}`,
      entityType: "update",
      entityId: row.id,
      before: { status: row.status },
      after: { status: options.status, ...patch, ...(options.reason ? { reason: options.reason } : {}) },
    })),
  });
  return changing.length;
}
