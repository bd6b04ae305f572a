import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { saveLastScan } from "../../src/scan.ts";
import { loadScanCache, shownResult } from "../../src/scan-cache.ts";
import { good, item, locked, scanAt } from "./scans.ts";

const directory = mkdtempSync(join(tmpdir(), "redflag-scan-cache-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;
const cachePath = () => join(directory, `last_scan-${++files}.json`);

const curl = item({ packageName: "curl", security: true, severity: "important" });
const docker = item({ packageName: "nginx", target: "1.25" });

// saveLastScan is what both the CLI's --scan and the daemon call, so both get this rule.
describe("the scan cache (last_scan.json)", () => {
  test("a failed scanner keeps its last good result beside the failure; the others are replaced", () => {
    const path = cachePath();
    saveLastScan(path, scanAt("2025-06-01T08:00:00Z", [good("apt", [curl]), good("docker", [docker])]));
    const cache = saveLastScan(path, scanAt("2025-06-02T09:00:00Z", [locked("apt"), good("docker", [])]));
    expect(loadScanCache(path)).toEqual(cache);
    const [apt, dockerScanner] = cache.scanners;
    expect(apt).toMatchObject({
      packageType: "apt",
      status: "error",
      failedAt: new Date("2025-06-02T09:00:00Z"),
      kind: "locked",
      retryable: true,
      lastGood: { scannedAt: new Date("2025-06-01T08:00:00Z"), items: [curl] },
    });
    expect(apt?.status === "error" && apt.error).toContain("Could not get lock");
    expect(dockerScanner).toEqual({
      packageType: "docker",
      status: "ok",
      scannedAt: new Date("2025-06-02T09:00:00Z"),
      items: [],
    });
  });

  test("failing again keeps the same last good result; succeeding again clears the failure", () => {
    const path = cachePath();
    saveLastScan(path, scanAt("2025-06-01T08:00:00Z", [good("apt", [curl])]));
    saveLastScan(path, scanAt("2025-06-02T09:00:00Z", [locked()]));
    const twice = saveLastScan(path, scanAt("2025-06-03T10:00:00Z", [locked()]));
    expect(twice.scanners[0]).toMatchObject({
      status: "error",
      failedAt: new Date("2025-06-03T10:00:00Z"),
      lastGood: { scannedAt: new Date("2025-06-01T08:00:00Z"), items: [curl] },
    });
    const recovered = saveLastScan(path, scanAt("2025-06-04T11:00:00Z", [good("apt", [])]));
    expect(recovered.scanners).toEqual([
      { packageType: "apt", status: "ok", scannedAt: new Date("2025-06-04T11:00:00Z"), items: [] },
    ]);
  });

  test("a scanner that never succeeded has nothing to show; one that no longer applies is dropped", () => {
    const path = cachePath();
    saveLastScan(path, scanAt("2025-06-01T08:00:00Z", [good("docker", [docker])]));
    const cache = saveLastScan(path, scanAt("2025-06-02T09:00:00Z", [locked("apt")]));
    expect(cache.scanners.map((scanner) => scanner.packageType)).toEqual(["apt"]);
    expect(cache.scanners[0] && shownResult(cache.scanners[0])).toBeNull();
  });

  test("a cache written before this rule (schema 1) is read, and merged into on the next failure", () => {
    const path = cachePath();
    writeFileSync(
      path,
      JSON.stringify({
        schemaVersion: 1,
        startedAt: "2025-06-01T07:59:00.000Z",
        finishedAt: "2025-06-01T08:00:00.000Z",
        scanners: [good("apt", [curl])],
      }),
    );
    expect(loadScanCache(path)?.scanners).toEqual([
      { packageType: "apt", status: "ok", scannedAt: new Date("2025-06-01T08:00:00Z"), items: [curl] },
    ]);
    const cache = saveLastScan(path, scanAt("2025-06-02T09:00:00Z", [locked()]));
    expect(cache.scanners[0]).toMatchObject({ status: "error", lastGood: { items: [curl] } });
    expect(JSON.parse(readFileSync(path, "utf8")).schemaVersion).toBe(2);
  });

  test("a cache that cannot be trusted is no cache", () => {
    const path = cachePath();
    writeFileSync(path, "{ not json");
    expect(loadScanCache(path)).toBeNull();
    writeFileSync(path, JSON.stringify({ schemaVersion: 2, scanners: "no" }));
    expect(loadScanCache(path)).toBeNull();
    expect(loadScanCache(join(directory, "missing.json"))).toBeNull();
  });
});
