import { idSchema, type OsType } from "@redflag/contracts";
import { agents, type DatabaseOrTransaction, updates } from "@redflag/db";
import { and, asc, count, desc, eq, ilike, inArray, not, or, type SQL, sql } from "drizzle-orm";
import { getSettings } from "../settings/get-settings.ts";
import { isOnlineSql } from "./agent-presence.ts";

export type ListAgentsFilter = {
  search?: string;
  presence?: "online" | "offline";
  osType?: OsType;
  tag?: string;
  sort: "hostname" | "lastCheckInAt" | "createdAt";
  direction: "asc" | "desc";
  page: number;
  pageSize: number;
};

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/**
 * One page of agents with their waiting-update counts. The page is chosen first (in index order), and
 * the counts are taken for its rows only, so a deep page does not count updates of every skipped agent.
 */
export async function listAgents(db: DatabaseOrTransaction, filter: ListAgentsFilter) {
  const { defaultPollIntervalSeconds } = await getSettings(db);
  const now = new Date();
  const online = isOnlineSql(defaultPollIntervalSeconds, now);
  const conditions: SQL[] = [];
  if (filter.search) {
    // Hostname and OS name through their trigram indexes; an agent id only as a whole.
    const pattern = `%${escapeLike(filter.search)}%`;
    const searchedId = idSchema("agent").safeParse(filter.search.trim());
    const match = or(
      ilike(agents.hostname, pattern),
      ilike(agents.osName, pattern),
      searchedId.success ? eq(agents.id, searchedId.data) : undefined,
    );
    if (match) conditions.push(match);
  }
  if (filter.presence === "online") conditions.push(online);
  if (filter.presence === "offline") conditions.push(not(online));
  if (filter.osType) conditions.push(eq(agents.osType, filter.osType));
  if (filter.tag) conditions.push(sql`${agents.tags} @> ${JSON.stringify([filter.tag])}::jsonb`);
  const where = and(...conditions);
  const order = filter.direction === "asc" ? asc : desc;
  const sortColumn = {
    hostname: agents.hostname,
    lastCheckInAt: agents.lastCheckInAt,
    createdAt: agents.createdAt,
  }[filter.sort];
  const [rows, totals] = await Promise.all([
    db
      .select({
        id: agents.id,
        hostname: agents.hostname,
        osType: agents.osType,
        osName: agents.osName,
        osVersion: agents.osVersion,
        architecture: agents.architecture,
        agentVersion: agents.agentVersion,
        tags: agents.tags,
        lastCheckInAt: agents.lastCheckInAt,
        lastScanAt: agents.lastScanAt,
        rebootRequired: agents.rebootRequired,
        online,
      })
      .from(agents)
      .where(where)
      .orderBy(order(sortColumn), order(agents.id))
      .limit(filter.pageSize)
      .offset((filter.page - 1) * filter.pageSize),
    db.select({ total: count() }).from(agents).where(where),
  ]);
  const counts =
    rows.length === 0
      ? []
      : await db
          .select({
            agentId: updates.agentId,
            pending: count(),
            security: sql<number>`(count(*) filter (where ${updates.security}))::int`,
          })
          .from(updates)
          .where(
            and(
              inArray(
                updates.agentId,
                rows.map((row) => row.id),
              ),
              inArray(updates.status, ["available", "approved"]),
            ),
          )
          .groupBy(updates.agentId);
  const countsByAgent = new Map(counts.map((row) => [row.agentId, row]));
  return {
    items: rows.map((row) => ({
      ...row,
      pendingUpdates: countsByAgent.get(row.id)?.pending ?? 0,
      securityUpdates: countsByAgent.get(row.id)?.security ?? 0,
    })),
    total: totals[0]?.total ?? 0,
  };
}
