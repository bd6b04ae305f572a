import type { GroupReport, ReportSummary } from "@redflag/contracts";
import { type DatabaseOrTransaction, rowsOf } from "@redflag/db";
import { sql } from "drizzle-orm";
import { type GroupRow, groupOf, groupSums, hostFigures, type ReportOptions } from "./report-figures.ts";

/** The whole fleet's line of the reports: what the overview shows. */
export async function getFleetReport(
  db: DatabaseOrTransaction,
  options: ReportOptions,
): Promise<GroupReport> {
  const now = options.now ?? new Date();
  const [row] = rowsOf<GroupRow>(
    await db.execute(
      sql`select ${groupSums} from (${hostFigures({ complianceDays: options.complianceDays, now })}) as hosts`,
    ),
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
