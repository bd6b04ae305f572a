"use client";

import { formatCount, formatDateTime, formatRelative, packageTypeLabel } from "~/lib/format";
import { scannerErrorWords } from "~/lib/scanner-error-words";
import type { AgentDetail } from "./agent-facts";
import { EmptyState } from "./ui/basics";
import { type Column, DataTable } from "./ui/data-table";

type Scan = AgentDetail["latestScans"][number];
const scanColumns: Column<Scan>[] = [
  {
    key: "received",
    header: "Received",
    className: "nowrap",
    cell: (scan) => <span title={formatDateTime(scan.receivedAt)}>{formatRelative(scan.receivedAt)}</span>,
  },
  {
    key: "scanners",
    header: "Scanners",
    className: "wrap",
    cell: (scan) =>
      scan.scanners.map((scanner) => (
        <span key={scanner.packageType} className="scanner">
          {packageTypeLabel(scanner.packageType)}{" "}
          {scanner.status === "ok" ? (
            <span className="muted">{formatCount(scanner.itemCount)} items</span>
          ) : (
            <span className="bad-text" title={scanner.error ?? undefined}>
              {scannerErrorWords(scanner)}: <bdi>{scanner.error}</bdi>
            </span>
          )}
        </span>
      )),
  },
  { key: "new", header: "New", className: "numeric", cell: (scan) => scan.opened },
  { key: "changed", header: "Changed", className: "numeric", cell: (scan) => scan.changed },
  { key: "closed", header: "Closed", className: "numeric", cell: (scan) => scan.closed },
];

export function AgentScansCard({ scans }: { scans: Scan[] }) {
  return (
    <section className="card" aria-labelledby="scans-title">
      <h2 id="scans-title">Latest scans</h2>
      {scans.length === 0 ? (
        <EmptyState title="No scan reported yet">Use “Scan now” to ask for one.</EmptyState>
      ) : (
        <DataTable columns={scanColumns} rows={scans} rowKey={(scan) => scan.id} />
      )}
    </section>
  );
}
