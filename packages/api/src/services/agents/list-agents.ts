import type { OsType } from "@redflag/contracts";
import { agents, type DatabaseOrTransaction } from "@redflag/db";
import { and, asc, count, desc, eq, ilike, not, or, type SQL, sql } from "drizzle-orm";
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

export async function listAgents(db: DatabaseOrTransaction, filter: ListAgentsFilter) {
  const { defaultPollIntervalSeconds } = await getSettings(db);
  const now = new Date();
  const online = isOnlineSql(defaultPollIntervalSeconds, now);
  const conditions: SQL[] = [];
  if (filter.search) {
    const pattern = `%${escapeLike(filter.search)}%`;
    const match = or(
      ilike(agents.hostname, pattern),
      ilike(agents.id, pattern),
      ilike(agents.osName, pattern),
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
  const [items, totals] = await Promise.all([
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
        // Qualified by hand: drizzle leaves a selected column unqualified, and inside the subquery a bare
        // "id" would be the update's id.
        pendingUpdates: sql<number>`(select count(*)::int from updates u where u.agent_id = ${agents}."id" and u.status in ('available', 'approved'))`,
        securityUpdates: sql<number>`(select count(*)::int from updates u where u.agent_id = ${agents}."id" and u.status in ('available', 'approved') and u.security)`,
      })
      .from(agents)
      .where(where)
      .orderBy(order(sortColumn), order(agents.id))
      .limit(filter.pageSize)
      .offset((filter.page - 1) * filter.pageSize),
    db.select({ total: count() }).from(agents).where(where),
  ]);
  return { items, total: totals[0]?.total ?? 0 };
}
