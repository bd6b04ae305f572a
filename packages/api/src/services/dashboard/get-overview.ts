import { packageTypes, severities } from "@redflag/contracts";
import { agents, commands, type DatabaseOrTransaction, updates } from "@redflag/db";
import { and, asc, count, desc, eq, gte, inArray, isNotNull, sql } from "drizzle-orm";
import { isOnlineSql } from "../agents/agent-presence.ts";
import { getSettings } from "../settings/get-settings.ts";
import { describeFailure } from "./describe-failure.ts";

/** Updates still waiting for someone: reported by the agent and not yet installed or rejected. */
const waitingStatuses = ["available", "approved"] as const;
const dayMs = 86_400_000;

export async function getOverview(db: DatabaseOrTransaction, options: { days: number; now?: Date }) {
  const now = options.now ?? new Date();
  const { defaultPollIntervalSeconds } = await getSettings(db);
  const online = isOnlineSql(defaultPollIntervalSeconds, now);
  const firstDay = new Date(Math.floor(now.getTime() / dayMs) * dayMs - (options.days - 1) * dayMs);
  const [
    [agentCounts],
    [upToDate],
    bySeverity,
    byPackageType,
    [security],
    [approved],
    rebootRequiredHosts,
    installRows,
    recentFailures,
  ] = await Promise.all([
    db
      .select({
        total: count(),
        online: sql<number>`(count(*) filter (where ${online}))::int`,
        rebootRequired: sql<number>`(count(*) filter (where ${agents.rebootRequired}))::int`,
      })
      .from(agents),
    db
      .select({ count: count() })
      .from(agents)
      .where(
        sql`not exists (select 1 from ${updates} where ${updates.agentId} = ${agents.id} and ${updates.status} in ('available', 'approved'))`,
      ),
    db
      .select({ severity: updates.severity, count: count() })
      .from(updates)
      .where(inArray(updates.status, waitingStatuses))
      .groupBy(updates.severity),
    db
      .select({ packageType: updates.packageType, count: count() })
      .from(updates)
      .where(inArray(updates.status, waitingStatuses))
      .groupBy(updates.packageType),
    db
      .select({ count: count() })
      .from(updates)
      .where(and(inArray(updates.status, waitingStatuses), eq(updates.security, true))),
    db.select({ count: count() }).from(updates).where(eq(updates.status, "approved")),
    db
      .select({ id: agents.id, hostname: agents.hostname })
      .from(agents)
      .where(eq(agents.rebootRequired, true))
      .orderBy(asc(agents.hostname), asc(agents.id))
      .limit(10),
    db
      .select({
        day: sql<string>`to_char(date_trunc('day', ${commands.finishedAt} at time zone 'UTC'), 'YYYY-MM-DD')`,
        status: commands.status,
        count: count(),
      })
      .from(commands)
      .where(
        and(
          gte(commands.finishedAt, firstDay),
          eq(commands.type, "install"),
          inArray(commands.status, ["succeeded", "failed"]),
        ),
      )
      .groupBy(sql`1`, commands.status),
    db
      .select({
        id: commands.id,
        agentId: commands.agentId,
        hostname: agents.hostname,
        type: commands.type,
        status: commands.status,
        exitCode: commands.exitCode,
        progressMessage: commands.progressMessage,
        output: commands.output,
        itemOutcomes: commands.itemOutcomes,
        result: commands.result,
        finishedAt: commands.finishedAt,
      })
      .from(commands)
      .innerJoin(agents, eq(agents.id, commands.agentId))
      .where(and(isNotNull(commands.finishedAt), inArray(commands.status, ["failed", "timed_out"])))
      .orderBy(desc(commands.finishedAt))
      .limit(8),
  ]);

  const installs = Array.from({ length: options.days }, (_, index) => ({
    day: new Date(firstDay.getTime() + index * dayMs).toISOString().slice(0, 10),
    succeeded: 0,
    failed: 0,
  }));
  const byDay = new Map(installs.map((entry) => [entry.day, entry]));
  for (const row of installRows) {
    const entry = byDay.get(row.day);
    if (entry && (row.status === "succeeded" || row.status === "failed")) entry[row.status] += row.count;
  }

  const total = agentCounts?.total ?? 0;
  const onlineCount = agentCounts?.online ?? 0;
  const severityCounts = Object.fromEntries(severities.map((severity) => [severity, 0])) as Record<
    (typeof severities)[number],
    number
  >;
  for (const row of bySeverity) severityCounts[row.severity] = row.count;
  const typeCounts = Object.fromEntries(packageTypes.map((type) => [type, 0])) as Record<
    (typeof packageTypes)[number],
    number
  >;
  for (const row of byPackageType) typeCounts[row.packageType] = row.count;
  return {
    agents: {
      total,
      online: onlineCount,
      offline: total - onlineCount,
      rebootRequired: agentCounts?.rebootRequired ?? 0,
      upToDate: upToDate?.count ?? 0,
    },
    pending: {
      total: Object.values(severityCounts).reduce((sum, value) => sum + value, 0),
      security: security?.count ?? 0,
      approved: approved?.count ?? 0,
      bySeverity: severityCounts,
      byPackageType: typeCounts,
    },
    rebootRequiredHosts,
    installs,
    recentFailures: recentFailures.map((row) => ({
      id: row.id,
      agentId: row.agentId,
      hostname: row.hostname,
      type: row.type,
      status: row.status,
      exitCode: row.exitCode,
      message: describeFailure(row),
      finishedAt: row.finishedAt,
    })),
  };
}
