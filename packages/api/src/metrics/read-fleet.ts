import { agents, commands, type DatabaseOrTransaction, notificationDeliveries, updates } from "@redflag/db";
import { count, inArray, sql } from "drizzle-orm";
import { isOnlineSql } from "../services/agents/agent-presence.ts";
import { getSettings } from "../services/settings/get-settings.ts";

/** Updates still waiting for someone, as the overview counts them: reported and not yet installed or rejected. */
const pendingStatuses = ["available", "approved"] as const;

/** The GROUP BY queries behind the gauges (bench/metrics.ts times each). */
export function fleetQueries(
  db: DatabaseOrTransaction,
  options: { now: Date; defaultPollIntervalSeconds: number },
) {
  const online = isOnlineSql(options.defaultPollIntervalSeconds, options.now);
  const presence = sql<
    "online" | "offline" | "never"
  >`(case when ${agents.lastCheckInAt} is null then 'never' when ${online} then 'online' else 'offline' end)`;
  return {
    agents: db
      .select({ presence, osType: agents.osType, count: count() })
      .from(agents)
      .groupBy(sql`1`, agents.osType),
    pendingUpdates: db
      .select({
        packageType: updates.packageType,
        severity: updates.severity,
        security: updates.security,
        count: count(),
      })
      .from(updates)
      .where(inArray(updates.status, pendingStatuses))
      .groupBy(updates.packageType, updates.severity, updates.security),
    commands: db
      .select({ type: commands.type, status: commands.status, count: count() })
      .from(commands)
      .groupBy(commands.type, commands.status),
    deliveries: db
      .select({
        status: notificationDeliveries.status,
        event: notificationDeliveries.event,
        count: count(),
      })
      .from(notificationDeliveries)
      .groupBy(notificationDeliveries.status, notificationDeliveries.event),
  };
}

/** What the gauges of one scrape show. */
export async function readFleet(db: DatabaseOrTransaction, now: Date) {
  const { defaultPollIntervalSeconds } = await getSettings(db);
  const queries = fleetQueries(db, { now, defaultPollIntervalSeconds });
  const [agentRows, updateRows, commandRows, deliveryRows] = await Promise.all([
    queries.agents,
    queries.pendingUpdates,
    queries.commands,
    queries.deliveries,
  ]);
  return { agentRows, updateRows, commandRows, deliveryRows };
}

export type Fleet = Awaited<ReturnType<typeof readFleet>>;
