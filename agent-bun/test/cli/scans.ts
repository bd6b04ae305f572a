import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PackageType, ScanItem, ScannerReport } from "@redflag/contracts";
import { readArchives } from "../../src/package-managers/apt/release-files.ts";
import { aptScanItems } from "../../src/package-managers/apt/scanner.ts";
import type { LastScan } from "../../src/scan.ts";

const aptFixtures = join(import.meta.dir, "../package-managers/apt/fixtures");

/** The 119 updates `apt` offered on a real Debian 12 host (74 of them security updates). */
export function bookwormItems(): ScanItem[] {
  return aptScanItems(
    readFileSync(join(aptFixtures, "apt-list-upgradable.bookworm.txt"), "utf8"),
    readArchives(join(aptFixtures, "lists.bookworm")),
  );
}

/** A scan as `runScan` returns it, finished at `at`. */
export function scanAt(at: string, scanners: ScannerReport[]): LastScan {
  return { startedAt: new Date(at), finishedAt: new Date(at), scanners };
}

export function good(packageType: PackageType, items: ScanItem[]): ScannerReport {
  return { packageType, status: "ok", items };
}

/** What apt's scanner reports while another apt holds its lock. */
export function locked(packageType: PackageType = "apt"): ScannerReport {
  return {
    packageType,
    status: "error",
    error: "apt-get update: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt)",
    kind: "locked",
    retryable: true,
  };
}

export function item(fields: Partial<ScanItem> & Pick<ScanItem, "packageName">): ScanItem {
  return {
    target: "",
    currentVersion: "1.0",
    availableVersion: "1.1",
    severity: "low",
    security: false,
    cves: [],
    source: null,
    sizeBytes: null,
    metadata: {},
    ...fields,
  };
}
