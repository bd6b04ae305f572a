import { type HostReportInput, type HostReportRow, hostReportPageSize } from "@redflag/contracts";
import { type DatabaseOrTransaction, rowsOf } from "@redflag/db";
import { sql } from "drizzle-orm";
import { complianceCutoff, type FigureRow, hostFigures, patchingOf } from "./report-figures.ts";

type HostRow = FigureRow & {
  agent_id: HostReportRow["agentId"];
  hostname: string;
  tags: string[];
  oldest_security_ms: number | null;
  out_of_compliance: boolean;
  total: number;
};

/**
 * Per host, worst first: out of compliance, then most security and critical updates waiting. One page,
 * or every host when `page` is null (the exports).
 */
export async function getHostReports(
  db: DatabaseOrTransaction,
  options: Omit<HostReportInput, "page"> & { page: number | null; now?: Date },
) {
  const now = options.now ?? new Date();
  const conditions = [sql`true`];
  if (options.tag) conditions.push(sql`a.tags ? ${options.tag}`);
  if (options.outOfCompliance)
    conditions.push(
      sql`r.oldest_security_pending_since < ${complianceCutoff(now, options.complianceDays)}::timestamptz`,
    );
  const page =
    options.page === null
      ? sql``
      : sql`limit ${hostReportPageSize} offset ${(options.page - 1) * hostReportPageSize}`;
  const rows = rowsOf<HostRow>(
    await db.execute(sql`
      select hosts.*, (count(*) over ())::int as total
      from (${hostFigures({ complianceDays: options.complianceDays, now }, sql.join(conditions, sql` and `))}) as hosts
      order by out_of_compliance desc, security desc, critical desc, important desc, hostname, agent_id
      ${page}`),
  );
  const items: HostReportRow[] = rows.map((row) => ({
    agentId: row.agent_id,
    hostname: row.hostname,
    tags: typeof row.tags === "string" ? JSON.parse(row.tags) : row.tags,
    ...patchingOf(row),
    oldestSecurityPendingSince:
      row.oldest_security_ms === null ? null : new Date(Number(row.oldest_security_ms)),
    outOfCompliance: row.out_of_compliance,
  }));
  let total = Number(rows[0]?.total ?? 0);
  if (rows.length === 0 && options.page !== null && options.page > 1) {
    const [counted] = rowsOf<{ total: number }>(
      await db.execute(
        sql`select count(*)::int as total from (${hostFigures({ complianceDays: options.complianceDays, now }, sql.join(conditions, sql` and `))}) as hosts`,
      ),
    );
    total = Number(counted?.total ?? 0);
  }
  return {
    items,
    total,
    page: options.page ?? 1,
    pageSize: options.page === null ? items.length : hostReportPageSize,
  };
}
