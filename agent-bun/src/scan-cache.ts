import {
  type AgentErrorKind,
  agentErrorKindSchema,
  type PackageType,
  packageTypeSchema,
  type ScanItem,
  type ScannerReport,
  scanItemSchema,
  scannerReportSchema,
} from "@redflag/contracts";
import { z } from "zod";
import { readFileIfExists } from "./config/files.ts";

/** A scanner's last good result: its updates and when they were found. */
export type GoodResult = { scannedAt: Date; items: ScanItem[] };

/** One scanner in the cache: its latest attempt, and after a failure the last good result it keeps. */
export type CachedScanner =
  | ({ packageType: PackageType; status: "ok" } & GoodResult)
  | {
      packageType: PackageType;
      status: "error";
      failedAt: Date;
      error: string;
      kind: AgentErrorKind;
      retryable: boolean;
      /** Null when this scanner never succeeded. */
      lastGood: GoodResult | null;
    };

/** The scan cache on disk (`last_scan.json`): what `--list-updates`, `--export` and `--status` read. */
export type ScanCache = {
  schemaVersion: 2;
  /** When the latest scan ran. */
  startedAt: Date;
  finishedAt: Date;
  scanners: CachedScanner[];
};

/** What one run of the scanners found (scan.ts's `LastScan`). */
type ScanResult = { startedAt: Date; finishedAt: Date; scanners: ScannerReport[] };

/**
 * The one rule for updating the cache, for the CLI and the daemon alike: a scanner that failed
 * keeps its last good result beside the failure; a scanner that succeeded replaces it. Scanners
 * that no longer apply to this host are dropped.
 */
export function mergeScan(previous: ScanCache | null, scan: ScanResult): ScanCache {
  const scanners = scan.scanners.map((report): CachedScanner => {
    if (report.status === "ok") {
      return {
        packageType: report.packageType,
        status: "ok",
        scannedAt: scan.finishedAt,
        items: report.items,
      };
    }
    const before = previous?.scanners.find((scanner) => scanner.packageType === report.packageType);
    return {
      packageType: report.packageType,
      status: "error",
      failedAt: scan.finishedAt,
      error: report.error,
      kind: report.kind,
      retryable: report.retryable,
      lastGood: !before
        ? null
        : before.status === "ok"
          ? { scannedAt: before.scannedAt, items: before.items }
          : before.lastGood,
    };
  });
  return { schemaVersion: 2, startedAt: scan.startedAt, finishedAt: scan.finishedAt, scanners };
}

/** The updates a cached scanner can show (fresh, or kept from before a failure) and when they were found. */
export function shownResult(scanner: CachedScanner): GoodResult | null {
  return scanner.status === "ok" ? scanner : scanner.lastGood;
}

const goodResultSchema = z.object({ scannedAt: z.coerce.date(), items: z.array(scanItemSchema) });

const scanCacheSchema = z.object({
  schemaVersion: z.literal(2),
  startedAt: z.coerce.date(),
  finishedAt: z.coerce.date(),
  scanners: z.array(
    z.discriminatedUnion("status", [
      goodResultSchema.extend({ packageType: packageTypeSchema, status: z.literal("ok") }),
      z.object({
        packageType: packageTypeSchema,
        status: z.literal("error"),
        failedAt: z.coerce.date(),
        error: z.string(),
        kind: agentErrorKindSchema,
        retryable: z.boolean(),
        lastGood: goodResultSchema.nullable(),
      }),
    ]),
  ),
});

/** Agents before 2 wrote the scan as reported: a failed scanner there has no last good result. */
const scanCacheVersion1Schema = z
  .object({
    schemaVersion: z.literal(1),
    startedAt: z.coerce.date(),
    finishedAt: z.coerce.date(),
    scanners: z.array(scannerReportSchema),
  })
  .transform((scan) => mergeScan(null, scan));

/** The cached scan, or null when there is none or it cannot be trusted (then scan again). */
export function loadScanCache(path: string): ScanCache | null {
  const text = readFileIfExists(path);
  if (text === null) return null;
  try {
    const parsed = z.union([scanCacheSchema, scanCacheVersion1Schema]).safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
