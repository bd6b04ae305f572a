import type { PackageType, ScanItem } from "@redflag/contracts";
import Table from "cli-table3";
import { type ScanCache, shownResult } from "../scan-cache.ts";
import { detailWords, packageWords, versionWords } from "./package-words.ts";

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

/** The table `--scan` and `--list-updates` print. */
export function renderUpdatesTable(scan: ScanCache): string {
  const rows = updateRows(scan);
  const lines: string[] = [];
  if (rows.length > 0) {
    const table = new Table({
      head: [
        "Type",
        "Package",
        "Installed",
        "Available",
        "Severity",
        "Security",
        "Status",
        "Source",
        "Details",
      ],
      style: { head: [], border: [] },
      wordWrap: false,
    });
    for (const row of rows) {
      table.push([
        row.packageType,
        packageWords(row.packageType, row),
        versionWords(row.packageType, row.currentVersion),
        versionWords(row.packageType, row.availableVersion),
        row.severity,
        row.security ? "yes" : "",
        row.status === "ok" ? "" : row.status,
        row.source ?? "",
        truncate(detailWords(row.packageType, row), 80),
      ]);
    }
    lines.push(table.toString());
  }
  const security = rows.filter((row) => row.security).length;
  const stale = rows.filter((row) => row.status === "stale").length;
  lines.push(
    `${rows.length} update${rows.length === 1 ? "" : "s"} available (${security} security), scanned ${scan.finishedAt.toISOString()}${stale > 0 ? `, ${stale} stale` : ""}`,
  );
  return lines.join("\n");
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
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
