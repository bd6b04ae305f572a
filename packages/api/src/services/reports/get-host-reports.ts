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
  const where = sql.join(conditions, sql` and `);
  const figures = { complianceDays: options.complianceDays, now };
  let rows: HostRow[];
  let total: number;
  if (options.page === null) {
    // Every host (the exports): one pass over the rollups.
    rows = rowsOf<HostRow>(
      await db.execute(sql`
        select hosts.* from (${hostFigures(figures, where)}) as hosts
        order by out_of_compliance desc, security desc, critical desc, important desc, hostname, agent_id`),
    );
    total = rows.length;
  } else {
    // One page: its hosts chosen and counted from the agents and their rollup rows alone, then the
    // figures (install outcomes included) read for those 50 hosts only.
    const cutoff = complianceCutoff(now, options.complianceDays);
    const ranked = rowsOf<{ agent_id: string; total: number }>(
      await db.execute(sql`
        select a.id as agent_id, (count(*) over ())::int as total
        from agents a left join agent_update_rollups r on r.agent_id = a.id
        where ${where}
        order by coalesce(r.oldest_security_pending_since < ${cutoff}::timestamptz, false) desc,
          coalesce(r.pending_security, 0) desc, coalesce(r.pending_critical, 0) desc,
          coalesce(r.pending_important, 0) desc, a.hostname, a.id
        limit ${hostReportPageSize} offset ${(options.page - 1) * hostReportPageSize}`),
    );
    total = Number(ranked[0]?.total ?? 0);
    if (ranked.length === 0 && options.page > 1) {
      const [counted] = rowsOf<{ total: number }>(
        await db.execute(sql`
          select count(*)::int as total
          from agents a left join agent_update_rollups r on r.agent_id = a.id
          where ${where}`),
      );
      total = Number(counted?.total ?? 0);
    }
    const ids = sql.join(
      ranked.map((row) => sql`${row.agent_id}`),
      sql`, `,
    );
    const figured =
      ranked.length === 0
        ? []
        : rowsOf<HostRow>(
            await db.execute(
              sql`select hosts.* from (${hostFigures(figures, sql`a.id in (${ids})`, sql`agent_id in (${ids})`)}) as hosts`,
            ),
          );
    const byId = new Map(figured.map((row) => [row.agent_id, row]));
    rows = ranked.flatMap((row) => byId.get(row.agent_id as HostRow["agent_id"]) ?? []);
  }
  const items: HostReportRow[] = rows.map((row) => ({
    agentId: row.agent_id,
    hostname: row.hostname,
    tags: typeof row.tags === "string" ? JSON.parse(row.tags) : row.tags,
    ...patchingOf(row),
    oldestSecurityPendingSince:
      row.oldest_security_ms === null ? null : new Date(Number(row.oldest_security_ms)),
    outOfCompliance: row.out_of_compliance,
  }));
  return {
    items,
    total,
    page: options.page ?? 1,
    pageSize: options.page === null ? items.length : hostReportPageSize,
  };
}
