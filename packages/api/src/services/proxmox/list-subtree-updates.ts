import type { AgentId } from "@redflag/contracts";
import { maxSubtreeUpdates } from "@redflag/contracts";
import { agents, type DatabaseOrTransaction, updates } from "@redflag/db";
import { and, asc, count, eq, inArray } from "drizzle-orm";
import { pendingStatuses } from "./get-proxmox-tree.ts";

/**
 * The pending updates of a subtree's hosts, named for the confirmation of its install (which then goes
 * through `updates.install` with these ids, like any other install). Up to one install's worth.
 */
export async function listSubtreeUpdates(db: DatabaseOrTransaction, options: { agentIds: AgentId[] }) {
  const where = and(
    inArray(updates.agentId, [...new Set(options.agentIds)]),
    inArray(updates.status, pendingStatuses),
  );
  const [items, [total]] = await Promise.all([
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
      .limit(maxSubtreeUpdates),
    db.select({ total: count() }).from(updates).where(where),
  ]);
  return { total: Number(total?.total ?? 0), items };
}
