import { describe, expect, test } from "bun:test";
import { maxItemsPerScanner, reportScanInput, type ScanItem } from "@redflag/contracts";
import { AgentError } from "../src/errors.ts";
import type { Scanner } from "../src/package-managers/package-manager.ts";
import { runScanner } from "../src/scan.ts";
import { item } from "./cli/scans.ts";

function scannerOf(scan: () => Promise<ScanItem[]>): Scanner {
  return {
    packageType: "apt",
    isAvailable: async () => true,
    scan,
    rebootStatus: async () => ({ required: false, reasons: [] }),
  };
}

describe("one scanner's part of a report", () => {
  test("a scanner's AgentError travels with its kind and whether retrying may help", async () => {
    const report = await runScanner(
      scannerOf(async () => {
        throw new AgentError("locked by another process, will retry", {
          source: "apt",
          kind: "locked",
          operation: "apt-get update",
        });
      }),
    );
    expect(report).toEqual({
      packageType: "apt",
      status: "error",
      error: "apt-get update: locked by another process, will retry",
      kind: "locked",
      retryable: true,
    });
  });

  test("an error of unknown shape is a plain failure, not worth retrying", async () => {
    const report = await runScanner(
      scannerOf(async () => {
        throw new TypeError("x is undefined");
      }),
    );
    expect(report).toMatchObject({
      status: "error",
      kind: "failed",
      retryable: false,
      error: "x is undefined",
    });
  });

  test("more updates than the server takes from one package manager are not sent trimmed: the scanner fails", async () => {
    const atLimit = await runScanner(
      scannerOf(async () =>
        Array.from({ length: maxItemsPerScanner }, (_, i) => item({ packageName: `pkg${i}` })),
      ),
    );
    expect(atLimit.status).toBe("ok");
    const over = await runScanner(
      scannerOf(async () =>
        Array.from({ length: maxItemsPerScanner + 1 }, (_, i) => item({ packageName: `pkg${i}` })),
      ),
    );
    expect(over).toMatchObject({ status: "error", kind: "failed", retryable: false });
    expect(over.status === "error" && over.error).toContain(`more than the ${maxItemsPerScanner}`);
    // Either way the report is one the server accepts.
    for (const scanner of [atLimit, over]) {
      expect(
        reportScanInput.safeParse({ scanners: [scanner], startedAt: new Date(), finishedAt: new Date() })
          .success,
      ).toBe(true);
    }
  });
});
