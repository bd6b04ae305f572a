import type { MaintenanceWindowId, OccurrenceSummary } from "@redflag/contracts";
import { commands, type DatabaseOrTransaction, maintenanceWindows, windowRuns } from "@redflag/db";
import { and, desc, eq, gt, lte, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { enqueueNotification } from "../notifications/enqueue-notification.ts";

/** An occurrence's summary is queued while it closed less than this long ago (installs may outlast it). */
const summaryHorizonMs = 2 * 24 * 60 * 60 * 1000;

const installCommand = alias(commands, "install_command");
const rebootCommand = alias(commands, "reboot_command");

/** Per occurrence (window + opening): how its hosts fared, newest first. */
export async function listOccurrenceSummaries(
  db: DatabaseOrTransaction,
  options: { where?: SQL; limit: number; order?: "newest" },
) {
  const rows = await db
    .select({
      windowId: windowRuns.windowId,
      windowName: maintenanceWindows.name,
      opensAt: windowRuns.opensAt,
      closesAt: windowRuns.closesAt,
      hosts: sql<number>`count(*)::int`,
      done: sql<number>`(count(*) filter (where ${windowRuns.status} = 'done'))::int`,
      missed: sql<number>`(count(*) filter (where ${windowRuns.status} = 'missed'))::int`,
      // A host that came back but whose grace period ran out is missed, not caught up.
      caughtUp: sql<number>`(count(*) filter (where ${windowRuns.caughtUpAt} is not null and ${windowRuns.status} <> 'missed'))::int`,
      failed: sql<number>`(count(*) filter (where ${windowRuns.status} = 'failed'))::int`,
      active: sql<number>`(count(*) filter (where ${windowRuns.status} in ('waiting', 'installing', 'rebooting')))::int`,
      rebooted: sql<number>`(count(*) filter (where ${rebootCommand.status} = 'succeeded'))::int`,
      installedHosts: sql<number>`(count(*) filter (where ${installCommand.status} = 'succeeded'))::int`,
      // Updates the agents reported installed, whatever became of the others in the same command.
      installedUpdates: sql<number>`coalesce(sum((select count(*) from jsonb_array_elements(coalesce(${installCommand.itemOutcomes}, '[]'::jsonb)) as outcome where outcome->>'status' = 'installed')), 0)::int`,
    })
    .from(windowRuns)
    .innerJoin(maintenanceWindows, eq(maintenanceWindows.id, windowRuns.windowId))
    .leftJoin(installCommand, eq(installCommand.id, windowRuns.installCommandId))
    .leftJoin(rebootCommand, eq(rebootCommand.id, windowRuns.rebootCommandId))
    .where(options.where)
    .groupBy(windowRuns.windowId, maintenanceWindows.name, windowRuns.opensAt, windowRuns.closesAt)
    .orderBy(desc(windowRuns.opensAt), windowRuns.windowId)
    .limit(options.limit);
  return rows;
}

export type OccurrenceRow = Awaited<ReturnType<typeof listOccurrenceSummaries>>[number];

export function occurrenceSummaryOf(row: OccurrenceRow): OccurrenceSummary {
  const { windowName: _name, installedHosts: _hosts, installedUpdates: _updates, ...summary } = row;
  return summary;
}

/**
 * Queues one `automation_summary` per occurrence once it closed and none of its hosts is still being
 * worked on; deduplicated by window and opening, so a pass run again queues nothing more.
 */
export async function summarizeClosedOccurrences(db: DatabaseOrTransaction, options: { now: Date }) {
  const { now } = options;
  const rows = await listOccurrenceSummaries(db, {
    where: and(
      lte(windowRuns.closesAt, now),
      gt(windowRuns.closesAt, new Date(now.getTime() - summaryHorizonMs)),
    ),
    limit: 1000,
  });
  for (const row of rows) {
    if (row.active > 0) continue;
    await db.transaction(async (tx) => {
      await enqueueNotification(tx, {
        event: "automation_summary",
        dedupKey: `window:${row.windowId}:${row.opensAt.toISOString()}`,
        title: `Window ${row.windowName}`,
        body: summaryText(row),
        payload: {
          windowId: row.windowId as MaintenanceWindowId,
          opensAt: row.opensAt.toISOString(),
          closesAt: row.closesAt.toISOString(),
          installedUpdates: row.installedUpdates,
          installedHosts: row.installedHosts,
          failed: row.failed,
          rebooted: row.rebooted,
          missed: row.missed,
        },
      });
    });
  }
}

export function summaryText(row: OccurrenceRow): string {
  return `Window ${row.windowName}: ${row.installedUpdates} update${row.installedUpdates === 1 ? "" : "s"} installed on ${row.installedHosts} host${row.installedHosts === 1 ? "" : "s"}, ${row.failed} failed, ${row.rebooted} rebooted, ${row.missed} missed`;
}
