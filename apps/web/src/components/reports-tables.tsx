"use client";

import type { HostReportRow, TagReportRow } from "@redflag/contracts";
import Link from "next/link";
import { formatCount, formatRelative } from "~/lib/format";
import { formatMeanTimeToPatch, formatRate } from "./reports-parts";
import { StatusBadge } from "./ui/basics";
import { type Column, DataTable } from "./ui/data-table";
import { Untrusted } from "./ui/text";

type Figures = Pick<TagReportRow, "pending" | "meanTimeToPatchSeconds" | "installs">;

/** The columns a tag's row and a host's row share: what waits, how fast it gets patched, how well. */
function figureColumns<Row extends Figures>(): Column<Row>[] {
  return [
    {
      key: "critical",
      header: "Critical",
      className: "numeric",
      cell: (row) => formatCount(row.pending.critical),
    },
    {
      key: "important",
      header: "Important",
      className: "numeric",
      cell: (row) => formatCount(row.pending.important),
    },
    {
      key: "pending",
      header: "Pending",
      className: "numeric",
      cell: (row) => formatCount(row.pending.total),
    },
    {
      key: "security",
      header: "Security",
      className: "numeric",
      cell: (row) => formatCount(row.pending.security),
    },
    {
      key: "mttp",
      header: "Time to patch",
      className: "nowrap",
      cell: (row) => formatMeanTimeToPatch(row.meanTimeToPatchSeconds),
    },
    {
      key: "success",
      header: "Success 7 / 30 / 90 d",
      className: "nowrap",
      cell: (row) =>
        [row.installs.days7, row.installs.days30, row.installs.days90]
          .map((window) => formatRate(window.rate))
          .join(" / "),
    },
  ];
}

export function TagReportTable({ rows }: { rows: TagReportRow[] }) {
  return (
    <DataTable<TagReportRow>
      caption="Reports by tag"
      rows={rows}
      rowKey={(row) => row.tag ?? "\u0000untagged"}
      columns={[
        {
          key: "tag",
          header: "Tag",
          cell: (row) =>
            row.tag === null ? <span className="muted">No tag</span> : <Untrusted text={row.tag} />,
        },
        { key: "hosts", header: "Hosts", className: "numeric", cell: (row) => formatCount(row.hosts) },
        {
          key: "out",
          header: "Out of compliance",
          className: "numeric",
          cell: (row) => (
            <span className={row.hostsOutOfCompliance > 0 ? "bad-text strong" : undefined}>
              {formatCount(row.hostsOutOfCompliance)}
            </span>
          ),
        },
        ...figureColumns<TagReportRow>(),
      ]}
    />
  );
}

export function HostReportTable({ rows, busy }: { rows: HostReportRow[]; busy: boolean }) {
  return (
    <DataTable<HostReportRow>
      caption="Reports by host"
      busy={busy}
      rows={rows}
      rowKey={(row) => row.agentId}
      columns={[
        {
          key: "host",
          header: "Host",
          cell: (row) => (
            <Link href={`/agents/${row.agentId}`}>
              <Untrusted text={row.hostname} />
            </Link>
          ),
        },
        {
          key: "compliance",
          header: "Compliance",
          className: "nowrap",
          cell: (row) =>
            row.outOfCompliance ? (
              <StatusBadge value="failed" label="Out of compliance" />
            ) : (
              <StatusBadge value="succeeded" label="In compliance" />
            ),
        },
        {
          key: "since",
          header: "Oldest security update",
          className: "nowrap",
          cell: (row) =>
            row.oldestSecurityPendingSince ? formatRelative(row.oldestSecurityPendingSince) : "—",
        },
        ...figureColumns<HostReportRow>(),
        {
          key: "tags",
          header: "Tags",
          className: "wrap",
          cell: (row) => <Untrusted text={row.tags.join(", ")} />,
        },
      ]}
    />
  );
}
