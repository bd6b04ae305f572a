import { severities } from "@redflag/contracts";
import { agents, commands, type DatabaseOrTransaction, updates } from "@redflag/db";
import { Cron } from "croner";
import { and, count, eq, gt, inArray, lte, not } from "drizzle-orm";
import { isOnlineSql } from "../agents/agent-presence.ts";
import { getSettings } from "../settings/get-settings.ts";
import { enqueueNotification } from "./enqueue-notification.ts";
import { wantedEvents } from "./wanted-events.ts";

/** A digest not sent at its time (the server was down) is still sent within this long after, then skipped. */
const lateBySecondsAtMost = 3600;

/** The local calendar date ("2026-03-29") of an instant in a time zone. */
function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(at);
}

/**
 * The last digest time at or before `now` (settings dailyDigestTime in dailyDigestTimeZone, read by
 * croner so daylight-saving days are right), if it is recent enough to send now.
 */
export function dueDigest(now: Date, time: string, timeZone: string): { at: Date; date: string } | null {
  const [hour, minute] = time.split(":").map(Number);
  const cron = new Cron(`${minute} ${hour} * * *`, { timezone: timeZone, paused: true });
  const [at] = cron.previousRuns(1, new Date(now.getTime() + 1));
  if (!at || now.getTime() - at.getTime() > lateBySecondsAtMost * 1000) return null;
  return { at, date: localDate(at, timeZone) };
}

/**
 * Queues the daily digest once a day, at its time in its zone (the dedup key is the local date, so
 * another run that day adds nothing): pending updates by severity, security updates, hosts offline,
 * installs of the last 24 hours.
 */
export async function sendDailyDigest(db: DatabaseOrTransaction, options: { now: Date }): Promise<boolean> {
  const settings = await getSettings(db);
  const due = dueDigest(options.now, settings.dailyDigestTime, settings.dailyDigestTimeZone);
  if (!due || !(await wantedEvents(db)).has("daily_digest")) return false;
  const since = new Date(options.now.getTime() - 24 * 3600 * 1000);
  const [bySeverity, [security], [offline], installs] = await Promise.all([
    db
      .select({ severity: updates.severity, count: count() })
      .from(updates)
      .where(inArray(updates.status, ["available", "approved"]))
      .groupBy(updates.severity),
    db
      .select({ count: count() })
      .from(updates)
      .where(and(inArray(updates.status, ["available", "approved"]), eq(updates.security, true))),
    db
      .select({ count: count() })
      .from(agents)
      .where(not(isOnlineSql(settings.defaultPollIntervalSeconds, options.now))),
    db
      .select({ status: commands.status, count: count() })
      .from(commands)
      .where(
        and(
          eq(commands.type, "install"),
          gt(commands.finishedAt, since),
          lte(commands.finishedAt, options.now),
        ),
      )
      .groupBy(commands.status),
  ]);
  const pending: Record<string, number> = Object.fromEntries(severities.map((severity) => [severity, 0]));
  for (const row of bySeverity) pending[row.severity] = row.count;
  const pendingTotal = bySeverity.reduce((sum, row) => sum + row.count, 0);
  const installed = installs.find((row) => row.status === "succeeded")?.count ?? 0;
  const failed = installs.find((row) => row.status === "failed")?.count ?? 0;
  const counts = {
    pendingUpdates: pendingTotal,
    pendingBySeverity: pending,
    securityUpdates: security?.count ?? 0,
    hostsOffline: offline?.count ?? 0,
    installsSucceeded: installed,
    installsFailed: failed,
  };
  await enqueueNotification(db, {
    event: "daily_digest",
    dedupKey: `daily_digest:${due.date}`,
    title: `RedFlag daily digest for ${due.date}`,
    body: [
      `Pending updates: ${pendingTotal} (${severities.map((severity) => `${pending[severity]} ${severity}`).join(", ")})`,
      `Security updates: ${counts.securityUpdates}`,
      `Hosts offline: ${counts.hostsOffline}`,
      `Installs in the last 24 hours: ${installed} succeeded, ${failed} failed`,
    ].join("\n"),
    payload: { date: due.date, ...counts },
  });
  return true;
}
