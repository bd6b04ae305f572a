import type { UpdateId, UpdateStatus } from "@redflag/contracts";
import { type DatabaseOrTransaction, updates } from "@redflag/db";
import { inArray } from "drizzle-orm";
import { AppError } from "../../errors.ts";

/**
 * Locks the named updates and checks each may move on: a missing id answers NOT_FOUND and a wrong
 * status CONFLICT, naming the ids, so nothing is changed unless every one can be.
 */
export async function selectUpdatesForChange(
  tx: DatabaseOrTransaction,
  options: { updateIds: UpdateId[]; allowedStatuses: readonly UpdateStatus[]; verb: string },
) {
  const ids = [...new Set(options.updateIds)];
  const rows = await tx
    .select()
    .from(updates)
    .where(inArray(updates.id, ids))
    .orderBy(updates.id)
    .for("update");
  const found = new Set(rows.map((row) => row.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new AppError(
      "NOT_FOUND",
      `Update${missing.length > 1 ? "s" : ""} not found: ${missing.join(", ")}`,
    );
  }
  const blocked = rows.filter((row) => !options.allowedStatuses.includes(row.status));
  if (blocked.length > 0) {
    throw new AppError(
      "CONFLICT",
      `Cannot ${options.verb}: ${blocked.map((row) => `${row.id} is ${row.status}`).join(", ")}`,
    );
  }
  return rows;
}
