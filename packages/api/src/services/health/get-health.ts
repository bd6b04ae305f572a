import { agents, commands, type Database, readMigrationLevel } from "@redflag/db";
import { count, inArray, sql } from "drizzle-orm";
import { isOnlineSql } from "../agents/agent-presence.ts";
import { getSettings } from "../settings/get-settings.ts";

export async function getHealth(options: {
  db: Database;
  driver: string;
  ping: () => Promise<number>;
  version: string;
  startedAt: Date;
  migrationsFolder: string;
}) {
  const { db } = options;
  let latencyMs: number | null = null;
  let reachable = false;
  let error: string | null = null;
  try {
    latencyMs = await options.ping();
    reachable = true;
  } catch (cause) {
    error = cause instanceof Error ? cause.message : String(cause);
  }
  if (!reachable) {
    return {
      version: options.version,
      uptimeSeconds: Math.round((Date.now() - options.startedAt.getTime()) / 1000),
      database: { driver: options.driver, reachable, latencyMs, error },
      migrations: null,
      agents: null,
      commandQueue: null,
    };
  }
  const { defaultPollIntervalSeconds } = await getSettings(db);
  const online = isOnlineSql(defaultPollIntervalSeconds, new Date());
  const [migrations, [agentCounts], queue] = await Promise.all([
    readMigrationLevel(db, options.migrationsFolder),
    db.select({ total: count(), online: sql<number>`(count(*) filter (where ${online}))::int` }).from(agents),
    db
      .select({ status: commands.status, count: count() })
      .from(commands)
      .where(inArray(commands.status, ["pending", "sent", "running"]))
      .groupBy(commands.status),
  ]);
  const total = agentCounts?.total ?? 0;
  const onlineCount = agentCounts?.online ?? 0;
  return {
    version: options.version,
    uptimeSeconds: Math.round((Date.now() - options.startedAt.getTime()) / 1000),
    database: { driver: options.driver, reachable, latencyMs, error },
    migrations,
    agents: { total, online: onlineCount, offline: total - onlineCount },
    commandQueue: Object.fromEntries(queue.map((row) => [row.status, row.count])),
  };
}
