import { packageTypes, severities } from "@redflag/contracts";
import {
  agents,
  agentUpdateRollups,
  commands,
  type DatabaseOrTransaction,
  installOutcomeDays,
} from "@redflag/db";
import { and, asc, count, desc, eq, gte, inArray, isNotNull, sql, sum } from "drizzle-orm";
import { isOnlineSql } from "../agents/agent-presence.ts";
import { getFleetReport } from "../reports/get-report-summary.ts";
import { getSettings } from "../settings/get-settings.ts";
import { describeFailure } from "./describe-failure.ts";

/** Updates waiting on an agent (available or approved), from its rollup row: the severities add up to all. */
const waitingTotal = sql`${agentUpdateRollups.pendingCritical} + ${agentUpdateRollups.pendingImportant} + ${agentUpdateRollups.pendingModerate} + ${agentUpdateRollups.pendingLow} + ${agentUpdateRollups.pendingUnknown}`;
const dayMs = 86_400_000;

/** The overview page, read from the report rollups (migration 0010), never by counting `updates`. */
export async function getOverview(
  db: DatabaseOrTransaction,
  options: { days: number; complianceDays: number; now?: Date },
) {
  const now = options.now ?? new Date();
  const { defaultPollIntervalSeconds } = await getSettings(db);
  const online = isOnlineSql(defaultPollIntervalSeconds, now);
  const firstDay = new Date(Math.floor(now.getTime() / dayMs) * dayMs - (options.days - 1) * dayMs);
  const [[agentCounts], [pending], rebootRequiredHosts, installRows, recentFailures, reports] =
    await Promise.all([
      db
        .select({
          total: count(),
          online: sql<number>`(count(*) filter (where ${online}))::int`,
          rebootRequired: sql<number>`(count(*) filter (where ${agents.rebootRequired}))::int`,
          // No rollup row, or one with nothing waiting: up to date.
          upToDate: sql<number>`(count(*) filter (where coalesce(${waitingTotal}, 0) = 0))::int`,
        })
        .from(agents)
        .leftJoin(agentUpdateRollups, eq(agentUpdateRollups.agentId, agents.id)),
      db
        .select({
          critical: sum(agentUpdateRollups.pendingCritical),
          important: sum(agentUpdateRollups.pendingImportant),
          moderate: sum(agentUpdateRollups.pendingModerate),
          low: sum(agentUpdateRollups.pendingLow),
          unknown: sum(agentUpdateRollups.pendingUnknown),
          apt: sum(agentUpdateRollups.pendingApt),
          dnf: sum(agentUpdateRollups.pendingDnf),
          docker: sum(agentUpdateRollups.pendingDocker),
          windows_update: sum(agentUpdateRollups.pendingWindowsUpdate),
          winget: sum(agentUpdateRollups.pendingWinget),
          security: sum(agentUpdateRollups.pendingSecurity),
          approved: sum(agentUpdateRollups.approved),
        })
        .from(agentUpdateRollups),
      db
        .select({ id: agents.id, hostname: agents.hostname })
        .from(agents)
        .where(eq(agents.rebootRequired, true))
        .orderBy(asc(agents.hostname), asc(agents.id))
        .limit(10),
      db
        .select({
          day: sql<string>`to_char(${installOutcomeDays.day}, 'YYYY-MM-DD')`,
          succeeded: sql<number>`sum(${installOutcomeDays.succeeded})::int`,
          failed: sql<number>`sum(${installOutcomeDays.failed})::int`,
        })
        .from(installOutcomeDays)
        .where(gte(installOutcomeDays.day, firstDay.toISOString().slice(0, 10)))
        .groupBy(installOutcomeDays.day),
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
      getFleetReport(db, { complianceDays: options.complianceDays, now }),
    ]);

  const installs = Array.from({ length: options.days }, (_, index) => ({
    day: new Date(firstDay.getTime() + index * dayMs).toISOString().slice(0, 10),
    succeeded: 0,
    failed: 0,
  }));
  const byDay = new Map(installs.map((entry) => [entry.day, entry]));
  for (const row of installRows) {
    const entry = byDay.get(row.day);
    if (entry) {
      entry.succeeded += Number(row.succeeded);
      entry.failed += Number(row.failed);
    }
  }

  const total = agentCounts?.total ?? 0;
  const onlineCount = agentCounts?.online ?? 0;
  const counted = (value: string | number | null | undefined) => Number(value ?? 0);
  const severityCounts = Object.fromEntries(
    severities.map((severity) => [severity, counted(pending?.[severity])]),
  ) as Record<(typeof severities)[number], number>;
  const typeCounts = Object.fromEntries(
    packageTypes.map((type) => [type, counted(pending?.[type])]),
  ) as Record<(typeof packageTypes)[number], number>;
  return {
    agents: {
      total,
      online: onlineCount,
      offline: total - onlineCount,
      rebootRequired: agentCounts?.rebootRequired ?? 0,
      upToDate: agentCounts?.upToDate ?? 0,
    },
    pending: {
      total: Object.values(severityCounts).reduce((sum, value) => sum + value, 0),
      security: counted(pending?.security),
      approved: counted(pending?.approved),
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
    reports: { ...reports, complianceDays: options.complianceDays },
  };
}
