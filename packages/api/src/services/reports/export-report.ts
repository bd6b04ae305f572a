import type { HostReportRow, TagReportRow } from "@redflag/contracts";
import type { DatabaseOrTransaction } from "@redflag/db";
import { stringify } from "csv-stringify/sync";
import { getHostReports } from "./get-host-reports.ts";
import { getTagReports } from "./get-report-summary.ts";

export type ReportExport = { body: string; contentType: string; filename: string };

type Figures = Omit<TagReportRow, "tag" | "hosts" | "hostsOutOfCompliance">;

const figureColumns = [
  "pending_total",
  "pending_critical",
  "pending_important",
  "pending_moderate",
  "pending_low",
  "pending_unknown",
  "pending_security",
  "patched",
  "mean_time_to_patch_hours",
  "install_success_rate_7d",
  "install_success_rate_30d",
  "install_success_rate_90d",
  "installs_succeeded_90d",
  "installs_failed_90d",
];

function figureCells(row: Figures) {
  const ratio = (value: number | null) => (value === null ? "" : value.toFixed(4));
  return [
    row.pending.total,
    row.pending.critical,
    row.pending.important,
    row.pending.moderate,
    row.pending.low,
    row.pending.unknown,
    row.pending.security,
    row.patched,
    row.meanTimeToPatchSeconds === null ? "" : (row.meanTimeToPatchSeconds / 3600).toFixed(2),
    ratio(row.installs.days7.rate),
    ratio(row.installs.days30.rate),
    ratio(row.installs.days90.rate),
    row.installs.days90.succeeded,
    row.installs.days90.failed,
  ];
}

/** A cell a spreadsheet would run as a formula (=, +, -, @ first; a hostname or tag) gets a leading '. */
const csvOptions = { escape_formulas: true };

function hostsCsv(rows: HostReportRow[]) {
  return stringify(
    [
      [
        "agent_id",
        "hostname",
        "tags",
        "out_of_compliance",
        "oldest_security_pending_since",
        ...figureColumns,
      ],
      ...rows.map((row) => [
        row.agentId,
        row.hostname,
        row.tags.join(" "),
        row.outOfCompliance ? "yes" : "no",
        row.oldestSecurityPendingSince?.toISOString() ?? "",
        ...figureCells(row),
      ]),
    ],
    csvOptions,
  );
}

function tagsCsv(rows: TagReportRow[]) {
  return stringify(
    [
      ["tag", "hosts", "hosts_out_of_compliance", ...figureColumns],
      ...rows.map((row) => [row.tag ?? "", row.hosts, row.hostsOutOfCompliance, ...figureCells(row)]),
    ],
    csvOptions,
  );
}

/** A report as a file to download: every host (or every tag), as CSV or as JSON. */
export async function exportReport(
  db: DatabaseOrTransaction,
  options: { report: "hosts" | "tags"; format: "csv" | "json"; complianceDays: number; now?: Date },
): Promise<ReportExport> {
  const now = options.now ?? new Date();
  const stamp = now.toISOString().slice(0, 10);
  const filename = `redflag-${options.report}-report-${stamp}.${options.format}`;
  const contentType =
    options.format === "json" ? "application/json; charset=utf-8" : "text/csv; charset=utf-8";
  const json = (rows: unknown[]) =>
    JSON.stringify({
      report: options.report,
      complianceDays: options.complianceDays,
      generatedAt: now.toISOString(),
      rows,
    });
  if (options.report === "hosts") {
    const { items } = await getHostReports(db, {
      complianceDays: options.complianceDays,
      outOfCompliance: false,
      page: null,
      now,
    });
    return { body: options.format === "json" ? json(items) : hostsCsv(items), contentType, filename };
  }
  const tags = await getTagReports(db, { complianceDays: options.complianceDays, now });
  return { body: options.format === "json" ? json(tags) : tagsCsv(tags), contentType, filename };
}
