import type { GroupReport, ReportSummary } from "@redflag/contracts";
import { type DatabaseOrTransaction, rowsOf } from "@redflag/db";
import { sql } from "drizzle-orm";
import {
  complianceCutoff,
  type GroupRow,
  groupOf,
  groupSums,
  hostFigures,
  type ReportOptions,
  windowStart,
} from "./report-figures.ts";

/**
 * The whole fleet's line of the reports (what the overview shows): summed straight from the rollup
 * tables, with no per-host figures in between; the same sums as `groupSums` over `hostFigures`.
 */
export async function getFleetReport(
  db: DatabaseOrTransaction,
  options: ReportOptions,
): Promise<GroupReport> {
  const now = options.now ?? new Date();
  const [row] = rowsOf<GroupRow>(
    await db.execute(sql`
      select (select count(*)::int from agents) as hosts, pending.*, outcomes.*
      from (
        select
          (count(*) filter (
            where r.oldest_security_pending_since < ${complianceCutoff(now, options.complianceDays)}::timestamptz
          ))::int as hosts_out_of_compliance,
          coalesce(sum(r.pending_critical), 0)::int as critical,
          coalesce(sum(r.pending_important), 0)::int as important,
          coalesce(sum(r.pending_moderate), 0)::int as moderate,
          coalesce(sum(r.pending_low), 0)::int as low,
          coalesce(sum(r.pending_unknown), 0)::int as unknown,
          coalesce(sum(r.pending_security), 0)::int as security,
          coalesce(sum(r.installed), 0)::int as patched,
          coalesce(sum(r.patch_seconds), 0)::float8 as patch_seconds
        from agent_update_rollups r
        where exists (select 1 from agents a where a.id = r.agent_id)
      ) as pending, (
        select
          coalesce(sum(d.succeeded) filter (where d.day >= ${windowStart(now, 7)}::date), 0)::int as succeeded7,
          coalesce(sum(d.failed + d.timed_out) filter (where d.day >= ${windowStart(now, 7)}::date), 0)::int as failed7,
          coalesce(sum(d.succeeded) filter (where d.day >= ${windowStart(now, 30)}::date), 0)::int as succeeded30,
          coalesce(sum(d.failed + d.timed_out) filter (where d.day >= ${windowStart(now, 30)}::date), 0)::int as failed30,
          coalesce(sum(d.succeeded), 0)::int as succeeded90,
          coalesce(sum(d.failed + d.timed_out), 0)::int as failed90
        from install_outcome_days d
        where d.day >= ${windowStart(now, 90)}::date
          and exists (select 1 from agents a where a.id = d.agent_id)
      ) as outcomes`),
  );
  if (!row) throw new Error("The fleet report returned no row");
  return groupOf(row);
}

/** Per tag: the fleet's figures over each tag's hosts (a host counts in each of its tags). */
export async function getTagReports(db: DatabaseOrTransaction, options: ReportOptions) {
  const now = options.now ?? new Date();
  const rows = rowsOf<GroupRow & { tag: string | null }>(
    await db.execute(sql`
      select tag, ${groupSums}
      from (${hostFigures({ complianceDays: options.complianceDays, now })}) as hosts
      cross join lateral jsonb_array_elements_text(
        case when jsonb_array_length(hosts.tags) = 0 then '[null]'::jsonb else hosts.tags end
      ) as tag
      group by tag
      order by tag nulls last`),
  );
  return rows.map((row) => ({ tag: row.tag, ...groupOf(row) }));
}

/** The reports page's summary: the fleet and every tag. */
export async function getReportSummary(
  db: DatabaseOrTransaction,
  options: ReportOptions,
): Promise<ReportSummary> {
  const now = options.now ?? new Date();
  const [fleet, tags] = await Promise.all([
    getFleetReport(db, { ...options, now }),
    getTagReports(db, { ...options, now }),
  ]);
  return { complianceDays: options.complianceDays, generatedAt: now, fleet, tags };
}
