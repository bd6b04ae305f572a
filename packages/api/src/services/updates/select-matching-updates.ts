import { maxUpdatesPerSelection, type UpdateFilter, type UpdateId } from "@redflag/contracts";
import { agents, type DatabaseOrTransaction, updates } from "@redflag/db";
import { asc, count, eq } from "drizzle-orm";
import { AppError } from "../../errors.ts";
import { updateFilterCondition } from "./list-updates.ts";

/** Every update the list's filter matches (up to the cap), for a confirmation to name them. */
export async function listMatchingUpdates(db: DatabaseOrTransaction, options: { filter: UpdateFilter }) {
  const where = await updateFilterCondition(db, options.filter);
  const [items, totals] = await Promise.all([
    db
      .select({
        id: updates.id,
        agentId: updates.agentId,
        hostname: agents.hostname,
        packageName: updates.packageName,
      })
      .from(updates)
      .innerJoin(agents, eq(agents.id, updates.agentId))
      .where(where)
      .orderBy(asc(agents.hostname), asc(updates.packageName), asc(updates.id))
      .limit(maxUpdatesPerSelection),
    db.select({ total: count() }).from(updates).where(where),
  ]);
  return { items, total: totals[0]?.total ?? 0 };
}

/**
 * The ids a change by filter acts on, inside the change's transaction. Refused when the filter now
 * matches another number of updates than the admin was shown, or more than the cap: the admin
 * confirmed a count, and acting on a different set would not be what they confirmed.
 */
export async function selectMatchingUpdateIds(
  tx: DatabaseOrTransaction,
  options: { filter: UpdateFilter; expectedTotal: number },
): Promise<UpdateId[]> {
  const where = await updateFilterCondition(tx, options.filter);
  const rows = await tx
    .select({ id: updates.id })
    .from(updates)
    .where(where)
    .orderBy(asc(updates.id))
    .limit(maxUpdatesPerSelection + 1);
  if (rows.length > maxUpdatesPerSelection) {
    throw new AppError(
      "BAD_REQUEST",
      `More than ${maxUpdatesPerSelection} updates match; narrow the filter and try again`,
    );
  }
  if (rows.length !== options.expectedTotal) {
    throw new AppError(
      "CONFLICT",
      `The list changed: ${rows.length} updates match now, not ${options.expectedTotal}; look again and retry`,
    );
  }
  return rows.map((row) => row.id);
}

/** Updates named one by one, or every update a filter matches (as many as the admin was shown). */
export type UpdateChoice = { updateIds: UpdateId[] } | { filter: UpdateFilter; expectedTotal: number };

export async function updateIdsOf(tx: DatabaseOrTransaction, choice: UpdateChoice): Promise<UpdateId[]> {
  return "updateIds" in choice ? choice.updateIds : selectMatchingUpdateIds(tx, choice);
}
