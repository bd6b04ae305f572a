import { type PackageType, type ScanItem, updateWords } from "@redflag/contracts";
import Table from "cli-table3";
import { type ScanCache, shownResult } from "../scan-cache.ts";

/** `ok`: found by the latest scan; `stale`: kept from an earlier scan because the latest one failed. */
export type UpdateStatus = "ok" | "stale";

export type UpdateRow = ScanItem & { packageType: PackageType; status: UpdateStatus };

export function updateRows(scan: ScanCache): UpdateRow[] {
  return scan.scanners
    .flatMap((scanner) => {
      const status: UpdateStatus = scanner.status === "ok" ? "ok" : "stale";
      return (shownResult(scanner)?.items ?? []).map((item) => ({
        ...item,
        packageType: scanner.packageType,
        status,
      }));
    })
    .sort(
      (a, b) =>
        Number(b.security) - Number(a.security) ||
        a.packageType.localeCompare(b.packageType) ||
        a.packageName.localeCompare(b.packageName),
    );
}

/** What went wrong in the latest scan, and how old the updates shown instead are: for stderr. */
export function describeScanFailures(scan: ScanCache): string[] {
  return scan.scanners.flatMap((scanner) => {
    if (scanner.status === "ok") return [];
    const error = scanner.error.replaceAll("\n", "\n  ");
    const why = [
      scanner.kind === "failed" ? null : scanner.kind.replace("_", " "),
      scanner.retryable ? "trying again later may help" : null,
    ].filter(Boolean);
    return [
      `the ${scanner.packageType} scan failed at ${scanner.failedAt.toISOString()}${why.length > 0 ? ` (${why.join(", ")})` : ""}: ${error}`,
      scanner.lastGood
        ? `the ${scanner.packageType} updates shown are stale, from the scan at ${scanner.lastGood.scannedAt.toISOString()}`
        : `no earlier ${scanner.packageType} result to show`,
    ];
  });
}

type Column = {
  header: string;
  cell: (row: UpdateRow) => string;
  /** Long free text that gives way first when the table is too wide. */
  flexible?: boolean;
};

const columns: Column[] = [
  { header: "Type", cell: (row) => row.packageType },
  { header: "Package", cell: (row) => updateWords(row).name },
  { header: "Installed", cell: (row) => updateWords(row).currentVersion ?? "-" },
  { header: "Available", cell: (row) => updateWords(row).availableVersion },
  { header: "Severity", cell: (row) => row.severity },
  { header: "Security", cell: (row) => (row.security ? "yes" : "") },
  // The host holds the package (apt-mark hold, dnf versionlock): pending, but not installed until let go.
  { header: "Held", cell: (row) => (row.held === true ? "held" : "") },
  { header: "Status", cell: (row) => (row.status === "ok" ? "" : row.status) },
  { header: "Source", cell: (row) => row.source ?? "", flexible: true },
  {
    header: "Details",
    cell: (row) => [updateWords(row).detail, ...row.cves].filter(Boolean).join(" "),
    flexible: true,
  },
];

/** Whether a column tells the reader nothing the others do not. */
function isRedundant(header: string, cells: string[], rows: UpdateRow[]): boolean {
  if (cells.every((cell) => cell === "")) return true;
  // One type, or every update stale (the summary line says so): the column would repeat one word.
  if (header === "Type" || header === "Status") return new Set(cells).size === 1;
  if (header === "Severity") {
    // apt, for one, says `important` exactly when an update is a security one.
    const severityBySecurity = new Map<boolean, Set<string>>();
    for (const row of rows) {
      const severities = severityBySecurity.get(row.security) ?? new Set<string>();
      severities.add(row.severity);
      severityBySecurity.set(row.security, severities);
    }
    return [...severityBySecurity.values()].every((severities) => severities.size === 1);
  }
  return false;
}

/** Each cell's padding, one space either side. */
const padding = 2;

/**
 * Column widths (padding included) whose table, borders included, fits `width`: free text gives
 * way first, then the widest columns, one character at a time. Only an absurdly narrow terminal
 * gets a wider table.
 */
function fitColumns(table: string[][], flexible: boolean[], width: number): number[] {
  const widths = table.map((cells) => Math.max(...cells.map((cell) => Bun.stringWidth(cell))) + padding);
  let excess = widths.reduce((total, columnWidth) => total + columnWidth, widths.length + 1) - width;
  const shrink = (floor: number, eligible: (index: number) => boolean) => {
    while (excess > 0) {
      let widest = -1;
      widths.forEach((columnWidth, index) => {
        if (eligible(index) && columnWidth > floor && (widest < 0 || columnWidth > (widths[widest] ?? 0)))
          widest = index;
      });
      if (widest < 0) return;
      widths[widest] = (widths[widest] ?? 0) - 1;
      excess -= 1;
    }
  };
  shrink(padding + 10, (index) => flexible[index] === true);
  shrink(padding + 3, () => true);
  return widths;
}

/** Draws only the line under the header: a line between every row would double the table's height. */
const noRowLines = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };
const headerLine = { mid: "─", "left-mid": "├", "mid-mid": "┼", "right-mid": "┤" };

/**
 * The table `--scan` and `--list-updates` print, at most `width` columns wide: columns that are
 * empty or repeat another are left out, and long cells end in `…`.
 */
export function renderUpdatesTable(scan: ScanCache, width: number): string {
  const rows = updateRows(scan);
  const lines: string[] = [];
  if (rows.length > 0) {
    const shown = columns
      .map((column) => ({ ...column, cells: rows.map(column.cell) }))
      .filter((column) => !isRedundant(column.header, column.cells, rows));
    const table = new Table({
      head: shown.map((column) => column.header),
      colWidths: fitColumns(
        shown.map((column) => [column.header, ...column.cells]),
        shown.map((column) => column.flexible === true),
        width,
      ),
      style: { head: [], border: [] },
      wordWrap: false,
      chars: noRowLines,
    });
    rows.forEach((_, index) => {
      const cells = shown.map((column) => column.cells[index] ?? "");
      table.push(index === 0 ? cells.map((content) => ({ content, chars: headerLine })) : cells);
    });
    lines.push(table.toString());
  }
  const security = rows.filter((row) => row.security).length;
  const stale = rows.filter((row) => row.status === "stale").length;
  const summary = [
    `${rows.length} update${rows.length === 1 ? "" : "s"} available (${security} security)`,
    `scanned ${scan.finishedAt.toISOString()}`,
    ...(stale > 0 ? [`${stale} stale`] : []),
  ];
  lines.push(...joinWithin(summary, ", ", width));
  return lines.join("\n");
}

/** Parts joined by `separator` into as few lines as keep within `width`. */
function joinWithin(parts: string[], separator: string, width: number): string[] {
  const lines: string[] = [];
  for (const part of parts) {
    const last = lines.at(-1);
    if (last !== undefined && Bun.stringWidth(last + separator + part) <= width)
      lines[lines.length - 1] = last + separator + part;
    else lines.push(part);
  }
  return lines;
}

export const exportColumns = [
  "package_type",
  "package_name",
  "current_version",
  "available_version",
  "severity",
  "security",
  "cves",
  "source",
  "status",
] as const;

function csvField(value: string): string {
  return /[",\r\n]/.test(value) || /^[=+\-@\t]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** `--export=csv`: a header, then one line per update; columns are only ever added, at the end. */
export function exportCsv(scan: ScanCache): string {
  const lines = [exportColumns.join(",")];
  for (const row of updateRows(scan)) {
    lines.push(
      [
        row.packageType,
        row.packageName,
        row.currentVersion ?? "",
        row.availableVersion,
        row.severity,
        row.security ? "true" : "false",
        row.cves.join(" "),
        row.source ?? "",
        row.status,
      ]
        .map(csvField)
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** `--export=json`: schema version 1; fields are only ever added. */
export function exportJson(scan: ScanCache, hostname: string): string {
  return `${JSON.stringify(
    {
      schemaVersion: 1,
      hostname,
      scannedAt: scan.finishedAt.toISOString(),
      scanners: scan.scanners.map((scanner) => ({
        packageType: scanner.packageType,
        status: scanner.status,
        error: scanner.status === "ok" ? null : scanner.error,
        kind: scanner.status === "ok" ? null : scanner.kind,
        retryable: scanner.status === "ok" ? null : scanner.retryable,
        failedAt: scanner.status === "ok" ? null : scanner.failedAt.toISOString(),
        // When the updates shown for this scanner were found; null when there are none to show.
        updatesScannedAt: shownResult(scanner)?.scannedAt.toISOString() ?? null,
      })),
      updates: updateRows(scan).map((row) => ({
        packageType: row.packageType,
        packageName: row.packageName,
        currentVersion: row.currentVersion,
        availableVersion: row.availableVersion,
        severity: row.severity,
        security: row.security,
        cves: row.cves,
        source: row.source,
        status: row.status,
      })),
    },
    null,
    2,
  )}\n`;
}
