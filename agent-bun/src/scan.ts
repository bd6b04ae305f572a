import {
  maxItemsPerScanner,
  type ReportScanInput,
  type ScannerReport,
  toPrintableText,
  type Virtualization,
} from "@redflag/contracts";
import type { ConfigFile } from "./config/config.ts";
import { writeFileAtomically } from "./config/files.ts";
import { childEnvironment } from "./environment.ts";
import { AgentError, describeError, isAgentError } from "./errors.ts";
import type { Scanner } from "./package-managers/package-manager.ts";
import { availableScanners } from "./package-managers/registry.ts";
import { collectVirtualization, defaultProbes } from "./proxmox/inventory.ts";
import { loadScanCache, mergeScan, type ScanCache } from "./scan-cache.ts";

/** What the latest run of the scanners found, as reported to the server; cached by `saveLastScan`. */
export type LastScan = {
  startedAt: Date;
  finishedAt: Date;
  scanners: ScannerReport[];
  /** A Proxmox node's inventory, or where this host runs as a guest (proxmox/inventory.ts). */
  virtualization?: Virtualization;
};

/** Runs every scanner that applies to this host; one failing scanner does not hide the others. */
export async function runScan(config: ConfigFile): Promise<LastScan> {
  const startedAt = new Date();
  const scanners = await availableScanners(config);
  const [reports, virtualization] = await Promise.all([
    Promise.all(scanners.map(runScanner)),
    collectVirtualization(defaultProbes(childEnvironment({}))),
  ]);
  return { startedAt, finishedAt: new Date(), scanners: reports, virtualization };
}

/** One scanner's part of a report; its failure is reported, never thrown. */
export async function runScanner(scanner: Scanner): Promise<ScannerReport> {
  try {
    const items = await scanner.scan();
    if (items.length > maxItemsPerScanner) {
      // A trimmed list would be read as the full truth and close the rest: send none of it instead.
      throw new AgentError(
        `found ${items.length} updates, more than the ${maxItemsPerScanner} the server takes from one package manager; none were sent, so the server keeps what it knew`,
        {
          source: scanner.packageType,
          kind: "failed",
          operation: `${scanner.packageType} scan`,
          retryable: false,
        },
      );
    }
    return { packageType: scanner.packageType, status: "ok", items };
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
}

export function toScanReport(scan: LastScan): ReportScanInput | null {
  if (scan.scanners.length === 0) return null;
  return {
    scanners: scan.scanners,
    startedAt: scan.startedAt,
    finishedAt: scan.finishedAt,
    ...(scan.virtualization === undefined ? {} : { virtualization: scan.virtualization }),
  };
}

/**
 * Caches a scan for `--list-updates`, `--export` and `--status` (CLI and daemon alike): a failed
 * scanner keeps its last good result (see `mergeScan`). Returns what was cached.
 */
export function saveLastScan(path: string, scan: LastScan): ScanCache {
  const cache = mergeScan(loadScanCache(path), scan);
  writeFileAtomically(path, `${JSON.stringify(cache, null, 2)}\n`, 0o644);
  return cache;
}
