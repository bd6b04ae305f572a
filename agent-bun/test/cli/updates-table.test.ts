import { describe, expect, test } from "bun:test";
import { terminalWidth } from "../../src/cli/main.ts";
import { readEnvironment } from "../../src/environment.ts";
import { renderUpdatesTable } from "../../src/output/updates.ts";
import { mergeScan } from "../../src/scan-cache.ts";
import { bookwormItems, good, item, locked, scanAt } from "./scans.ts";

const header = (table: string) => table.split("\n")[1] ?? "";
const widest = (text: string) => Math.max(...text.split("\n").map((line) => Bun.stringWidth(line)));

describe("the updates table", () => {
  // The recorded Debian 12 host: 119 apt updates, 74 of them security updates.
  const bookworm = mergeScan(null, scanAt("2025-06-01T08:00:00Z", [good("apt", bookwormItems())]));

  test("a real Debian 12 host's 119 updates fit an 80-column terminal, one line per update", () => {
    const table = renderUpdatesTable(bookworm, 80);
    const lines = table.split("\n");
    for (const line of lines) expect(Bun.stringWidth(line)).toBeLessThanOrEqual(80);
    // Top border, header, the line under it, 119 rows, bottom border, summary: no line between rows.
    expect(lines.length).toBe(119 + 5);
    expect(lines.filter((line) => line.startsWith("├"))).toHaveLength(1);
    expect(table).toContain("…");
    // One type, apt's severity only repeats Security, and apt has no details.
    expect(
      header(table)
        .split("│")
        .map((cell) => cell.trim()),
    ).toEqual(["", "Package", "Installed", "Available", "Security", "Source", ""]);
    expect(lines.at(-1)).toBe("119 updates available (74 security), scanned 2025-06-01T08:00:00.000Z");
  });

  test("a wide terminal shows more of each update, still within its width", () => {
    const narrow = renderUpdatesTable(bookworm, 80);
    const wide = renderUpdatesTable(bookworm, 200);
    expect(widest(wide)).toBeGreaterThan(widest(narrow));
    expect(widest(wide)).toBeLessThanOrEqual(200);
    expect(wide).toContain("Debian:12.15/oldstable, Debian-Security:12/oldstable-security");
    expect(wide).not.toContain("…");
    expect(
      renderUpdatesTable(bookworm, 60)
        .split("\n")
        .every((line) => Bun.stringWidth(line) <= 60),
    ).toBe(true);
  });

  test("Type, Severity and Details are shown when they say something", () => {
    const scan = mergeScan(
      null,
      scanAt("2025-06-01T08:00:00Z", [
        good("apt", [
          item({ packageName: "openssl", security: true, severity: "critical", cves: ["CVE-2024-1234"] }),
          item({ packageName: "curl", security: true, severity: "important" }),
        ]),
        good("winget", [item({ packageName: "Git.Git", metadata: { name: "Git" } })]),
      ]),
    );
    const columns = header(renderUpdatesTable(scan, 120))
      .split("│")
      .map((cell) => cell.trim());
    expect(columns).toEqual([
      "",
      "Type",
      "Package",
      "Installed",
      "Available",
      "Severity",
      "Security",
      "Details",
      "",
    ]);
  });

  test("updates kept from before a failed scan are marked stale; the failure is not in the table", () => {
    const curl = item({ packageName: "curl" });
    const nginx = item({ packageName: "nginx", target: "1.25" });
    const before = mergeScan(null, scanAt("2025-06-01T08:00:00Z", [good("apt", [curl]), good("docker", [])]));
    const mixed = mergeScan(before, scanAt("2025-06-02T09:00:00Z", [locked(), good("docker", [nginx])]));
    const table = renderUpdatesTable(mixed, 80);
    expect(header(table)).toContain("Status");
    expect(table).toMatch(/│ apt\s+│ curl\s+│.*│ stale\s+│/);
    expect(table).toMatch(/│ docker\s+│ nginx:1\.25\s+│.*│\s+│/);
    expect(table).not.toContain("lock");
    expect(table.split("\n").at(-1)).toBe(
      "2 updates available (0 security), scanned 2025-06-02T09:00:00.000Z, 1 stale",
    );
    // All of them stale: the summary says so, a column would only repeat it.
    const allStale = renderUpdatesTable(mergeScan(before, scanAt("2025-06-02T09:00:00Z", [locked()])), 80);
    expect(header(allStale)).not.toContain("Status");
    expect(allStale.split("\n").at(-1)).toBe(
      "1 update available (0 security), scanned 2025-06-02T09:00:00.000Z, 1 stale",
    );
  });

  test("its width is the terminal's, else COLUMNS, else 80", () => {
    expect(terminalWidth(132, 100)).toBe(132);
    expect(terminalWidth(undefined, 100)).toBe(100);
    expect(terminalWidth(undefined, null)).toBe(80);
    expect(terminalWidth(0, null)).toBe(80);
    // COLUMNS is read once with the rest of the environment; a value that is not a width is none.
    expect(readEnvironment({ COLUMNS: "wide" }).columns).toBeNull();
    expect(readEnvironment({ COLUMNS: "0" }).columns).toBeNull();
    expect(readEnvironment({ COLUMNS: "100" }).columns).toBe(100);
  });
});

describe("held updates in the table", () => {
  test("a Held column marks the packages the host holds, and is left out when none is", () => {
    const scan = mergeScan(
      null,
      scanAt("2025-06-01T08:00:00Z", [
        good("apt", [
          item({ packageName: "postgresql-15", held: true }),
          item({ packageName: "curl", held: false }),
        ]),
      ]),
    );
    const table = renderUpdatesTable(scan, 120);
    expect(
      header(table)
        .split("│")
        .map((cell) => cell.trim()),
    ).toContain("Held");
    expect(table.split("\n").find((line) => line.includes("postgresql-15"))).toMatch(/│\s*held\s*│/);
    expect(table.split("\n").find((line) => line.includes("curl"))).not.toContain("held");
    const none = mergeScan(
      null,
      scanAt("2025-06-01T08:00:00Z", [good("apt", [item({ packageName: "curl" })])]),
    );
    expect(header(renderUpdatesTable(none, 120))).not.toContain("Held");
  });
});
