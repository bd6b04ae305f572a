import { type ReportScanInput, type ScannerReport, toPrintableText } from "@redflag/contracts";
import type { ConfigFile } from "./config/config.ts";
import { writeFileAtomically } from "./config/files.ts";
import { describeError, isAgentError } from "./errors.ts";
import { availableScanners } from "./package-managers/registry.ts";

/** The scan cache on disk (`last_scan.json`): what `--list-updates` and `--export` read (scan-cache.ts). */
export type LastScan = {
  schemaVersion: 1;
  startedAt: Date;
  finishedAt: Date;
  scanners: ScannerReport[];
};

/** Runs every scanner that applies to this host; one failing scanner does not hide the others. */
export async function runScan(config: ConfigFile): Promise<LastScan> {
  const startedAt = new Date();
  const scanners = await availableScanners(config);
  const reports = await Promise.all(
    scanners.map(async (scanner): Promise<ScannerReport> => {
      try {
        return { packageType: scanner.packageType, status: "ok", items: await scanner.scan() };
      } catch (error) {
        // An error of unknown shape is a bug of ours, not the tool's: report it, do not retry it.
        return {
          packageType: scanner.packageType,
          status: "error",
          error: toPrintableText(describeError(error), 4000, { keepLineBreaks: true }) || "scan failed",
          kind: isAgentError(error) ? error.kind : "failed",
          retryable: isAgentError(error) ? error.retryable : false,
        };
      }
    }),
  );
  return { schemaVersion: 1, startedAt, finishedAt: new Date(), scanners: reports };
}

export function toScanReport(scan: LastScan): ReportScanInput | null {
  if (scan.scanners.length === 0) return null;
  return { scanners: scan.scanners, startedAt: scan.startedAt, finishedAt: scan.finishedAt };
}

export function saveLastScan(path: string, scan: LastScan) {
  writeFileAtomically(path, `${JSON.stringify(scan, null, 2)}\n`, 0o644);
}
