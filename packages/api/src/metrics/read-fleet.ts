import { agents, commands, type DatabaseOrTransaction, notificationDeliveries, updates } from "@redflag/db";
import { count, inArray, sql } from "drizzle-orm";
import { isOnlineSql } from "../services/agents/agent-presence.ts";
import { getSettings } from "../services/settings/get-settings.ts";

/** Updates still waiting for someone, as the overview counts them: reported and not yet installed or rejected. */
const pendingStatuses = ["available", "approved"] as const;

/** What the gauges of one scrape show, read with a few GROUP BY queries. */
export async function readFleet(db: DatabaseOrTransaction, now: Date) {
  const { defaultPollIntervalSeconds } = await getSettings(db);
  const online = isOnlineSql(defaultPollIntervalSeconds, now);
  const presence = sql<
    "online" | "offline" | "never"
  >`(case when ${agents.lastCheckInAt} is null then 'never' when ${online} then 'online' else 'offline' end)`;
  const [agentRows, updateRows, commandRows, deliveryRows] = await Promise.all([
    db
      .select({ presence, osType: agents.osType, count: count() })
      .from(agents)
      .groupBy(sql`1`, agents.osType),
    db
      .select({
        packageType: updates.packageType,
        severity: updates.severity,
        security: updates.security,
        count: count(),
      })
      .from(updates)
      .where(inArray(updates.status, pendingStatuses))
      .groupBy(updates.packageType, updates.severity, updates.security),
    db
      .select({ type: commands.type, status: commands.status, count: count() })
      .from(commands)
      .groupBy(commands.type, commands.status),
    db
      .select({
        status: notificationDeliveries.status,
        event: notificationDeliveries.event,
        count: count(),
      })
      .from(notificationDeliveries)
      .groupBy(notificationDeliveries.status, notificationDeliveries.event),
  ]);
  return { agentRows, updateRows, commandRows, deliveryRows };
}

export type Fleet = Awaited<ReturnType<typeof readFleet>>;
