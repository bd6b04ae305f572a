import { agents } from "@redflag/db";
import { type SQL, sql } from "drizzle-orm";
import { offlineAfterPollIntervals } from "../../config.ts";

/** SQL that is true while an agent counts as online: it checked in within 3 of its poll intervals. */
export function isOnlineSql(defaultPollIntervalSeconds: number, now: Date): SQL<boolean> {
  return sql<boolean>`(${agents.lastCheckInAt} is not null and ${agents.lastCheckInAt} > ${now.toISOString()}::timestamptz - make_interval(secs => ${offlineAfterPollIntervals} * coalesce(${agents.pollIntervalSeconds}, ${defaultPollIntervalSeconds})))`;
}
