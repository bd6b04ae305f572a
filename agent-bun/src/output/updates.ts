import type { PackageType, ScanItem } from "@redflag/contracts";
import Table from "cli-table3";
import type { LastScan } from "../scan.ts";
import { detailWords, packageWords, versionWords } from "./package-words.ts";

export type UpdateRow = ScanItem & { packageType: PackageType };

export function updateRows(scan: LastScan): UpdateRow[] {
  return scan.scanners
    .flatMap((scanner) =>
      scanner.status === "ok"
        ? scanner.items.map((item) => ({ ...item, packageType: scanner.packageType }))
        : [],
    )
    .sort(
      (a, b) =>
        Number(b.security) - Number(a.security) ||
        a.packageType.localeCompare(b.packageType) ||
        a.packageName.localeCompare(b.packageName),
    );
}

/** The table `--scan` and `--list-updates` print. */
export function renderUpdatesTable(scan: LastScan): string {
  const rows = updateRows(scan);
  const lines: string[] = [];
  if (rows.length > 0) {
    const table = new Table({
      head: ["Type", "Package", "Installed", "Available", "Severity", "Security", "Source", "Details"],
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
        row.source ?? "",
        truncate(detailWords(row.packageType, row), 80),
      ]);
    }
    lines.push(table.toString());
  }
  const security = rows.filter((row) => row.security).length;
  lines.push(
    `${rows.length} update${rows.length === 1 ? "" : "s"} available (${security} security), scanned ${scan.finishedAt.toISOString()}`,
  );
  for (const scanner of scan.scanners) {
    if (scanner.status === "error") lines.push(`${scanner.packageType} scan failed: ${scanner.error}`);
  }
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
] as const;

function csvField(value: string): string {
  return /[",\r\n]/.test(value) || /^[=+\-@\t]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** `--export=csv`: a header, then one line per update; columns never change order. */
export function exportCsv(scan: LastScan): string {
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
      ]
        .map(csvField)
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** `--export=json`: schema version 1; fields are only ever added. */
export function exportJson(scan: LastScan, hostname: string): string {
  return `${JSON.stringify(
    {
      schemaVersion: 1,
      hostname,
      scannedAt: scan.finishedAt.toISOString(),
      scanners: scan.scanners.map((scanner) =>
        scanner.status === "ok"
          ? { packageType: scanner.packageType, status: "ok", error: null }
          : { packageType: scanner.packageType, status: "error", error: scanner.error },
      ),
      updates: updateRows(scan).map((row) => ({
        packageType: row.packageType,
        packageName: row.packageName,
        currentVersion: row.currentVersion,
        availableVersion: row.availableVersion,
        severity: row.severity,
        security: row.security,
        cves: row.cves,
        source: row.source,
      })),
    },
    null,
    2,
  )}\n`;
}
