import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import { stateFiles } from "../../src/config/paths.ts";
import { readEnvironment } from "../../src/environment.ts";
import { exitCodes } from "../../src/errors.ts";
import { saveLastScan } from "../../src/scan.ts";
import { bookwormItems, good, locked, scanAt } from "./scans.ts";

const directory = mkdtempSync(join(tmpdir(), "redflag-agent-cli-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

type RunOptions = {
  /** The config file's content; no file when undefined. */
  config?: unknown;
  stateDirectory?: string;
  columns?: number;
};

async function run(argv: string[], options: RunOptions = {}) {
  const configPath = join(directory, `config-${Math.random().toString(36).slice(2)}.json`);
  const { config } = options;
  if (config !== undefined)
    writeFileSync(configPath, typeof config === "string" ? config : JSON.stringify(config));
  let stdout = "";
  let stderr = "";
  const exitCode = await main(
    argv,
    readEnvironment({
      AGENT_CONFIG_PATH: configPath,
      REDFLAG_STATE_DIR: options.stateDirectory ?? join(directory, "state"),
    }),
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      columns: options.columns ?? 80,
    },
  );
  return { exitCode, stdout, stderr };
}

describe("the agent CLI", () => {
  test("--help lists every flag of the seed and the exit codes", async () => {
    const result = await run(["--help"]);
    expect(result.exitCode).toBe(0);
    for (const flag of [
      "--register",
      "--server",
      "--token",
      "--scan",
      "--status",
      "--list-updates",
      "--export",
    ]) {
      expect(result.stdout).toContain(flag);
    }
    expect(result.stdout).toContain("3 not registered");
  });

  test("--help fits 80 columns, on a wide terminal too", async () => {
    for (const columns of [80, 200]) {
      const result = await run(["--help"], { columns });
      for (const line of result.stdout.split("\n")) expect(Bun.stringWidth(line)).toBeLessThanOrEqual(80);
    }
  });

  test("the parser's errors read like the agent's own: prefix, a hint, exit 2", async () => {
    for (const [argv, words] of [
      [["--bogus"], "unknown option '--bogus'"],
      [["--sacn"], "(Did you mean --scan?)"],
      [["--export"], "argument missing"],
      [["--export=xml"], "Allowed choices are json, csv"],
      [["stray"], "too many arguments"],
      [["--scan", "--status"], "Choose one of"],
    ] as const) {
      const result = await run([...argv]);
      expect(result.exitCode).toBe(exitCodes.usage);
      expect(result.stdout).toBe("");
      expect(result.stderr).toStartWith("redflag-agent: ");
      expect(result.stderr).toContain(words);
      expect(result.stderr).toEndWith(" (see redflag-agent --help)\n");
      expect(result.stderr.split("\n")).toHaveLength(2);
    }
  });

  test("--version prints the version", async () => {
    const result = await run(["--version"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("the daemon refuses to start when not registered, with its own exit code", async () => {
    const result = await run([]);
    expect(result.exitCode).toBe(exitCodes.notRegistered);
    expect(result.stderr).toContain("not registered");
    expect((await run(["--status"])).exitCode).toBe(exitCodes.notRegistered);
  });

  test("bad arguments are usage errors", async () => {
    expect((await run(["--export=xml"])).exitCode).toBe(exitCodes.usage);
    expect((await run(["--scan", "--status"])).exitCode).toBe(exitCodes.usage);
    expect((await run(["--token", "abc"])).exitCode).toBe(exitCodes.usage);
    expect((await run(["--register", "--server", "ftp://example", "--token", "x".repeat(20)])).exitCode).toBe(
      exitCodes.usage,
    );
    expect((await run(["--register", "--server", "http://127.0.0.1:9"])).exitCode).toBe(exitCodes.usage);
    expect((await run(["stray"])).exitCode).toBe(exitCodes.usage);
  });

  test("a broken config file is reported, not ignored", async () => {
    const notJson = await run(["--status"], { config: "{ not json" });
    expect(notJson.exitCode).toBe(exitCodes.usage);
    expect(notJson.stderr).toContain("not valid JSON");
    const unknownField = await run(["--status"], { config: { serverUrl: "http://x", surprise: true } });
    expect(unknownField.exitCode).toBe(exitCodes.usage);
    expect(unknownField.stderr).toContain("surprise");
  });

  test("an unreachable server is its own exit code, and registration needs a token the server accepts", async () => {
    const unreachable = await run([
      "--register",
      "--server",
      "http://127.0.0.1:9",
      "--token",
      "x".repeat(20),
    ]);
    expect(unreachable.exitCode).toBe(exitCodes.serverUnreachable);
    expect(unreachable.stderr).toContain("Cannot reach the server");
  });

  describe("after a scan failed, the last good result", () => {
    // apt found the real Debian 12 host's 119 updates, then failed on the next scan: another apt held its lock.
    const stateDirectory = join(directory, "failed-scan");
    const cachePath = stateFiles(stateDirectory).lastScan;
    saveLastScan(cachePath, scanAt("2025-06-01T08:00:00Z", [good("apt", bookwormItems())]));
    saveLastScan(cachePath, scanAt("2025-06-02T09:00:00Z", [locked()]));

    function expectStaleNote(stderr: string) {
      expect(stderr).toContain(
        "redflag-agent: the apt scan failed at 2025-06-02T09:00:00.000Z (locked, trying again later may help): apt-get update: Could not get lock",
      );
      expect(stderr).toContain(
        "redflag-agent: the apt updates shown are stale, from the scan at 2025-06-01T08:00:00.000Z",
      );
    }

    test("--list-updates shows it marked stale, says why on stderr and exits 7", async () => {
      const result = await run(["--list-updates"], { stateDirectory, columns: 80 });
      expect(result.exitCode).toBe(exitCodes.scanFailed);
      expectStaleNote(result.stderr);
      const lines = result.stdout.trimEnd().split("\n");
      expect(lines).toHaveLength(119 + 5);
      for (const line of lines) expect(Bun.stringWidth(line)).toBeLessThanOrEqual(80);
      expect(result.stdout).toMatch(/│ curl\s+│/);
      // Every update shown is stale: the summary says so rather than a column repeating it.
      expect(lines.at(-1)).toBe(
        "119 updates available (74 security), scanned 2025-06-02T09:00:00.000Z, 119 stale",
      );
      expect(result.stdout).not.toContain("lock");
    });

    test("--export=csv: every update with its status, the failure only on stderr, exit 7", async () => {
      const result = await run(["--export=csv"], { stateDirectory });
      expect(result.exitCode).toBe(exitCodes.scanFailed);
      expectStaleNote(result.stderr);
      const [head, ...rows] = result.stdout.trimEnd().split("\n");
      expect(head).toBe(
        "package_type,package_name,current_version,available_version,severity,security,cves,source,status",
      );
      expect(rows).toHaveLength(119);
      for (const row of rows) expect(row).toEndWith(",stale");
      expect(rows).toContain(
        "apt,curl,7.88.1-10+deb12u14,7.88.1-10+deb12u15,low,false,,Debian:12.15/oldstable,stale",
      );
    });

    test("--export=json keeps its fields and adds the status and the failure", async () => {
      const result = await run(["--export=json"], { stateDirectory });
      expect(result.exitCode).toBe(exitCodes.scanFailed);
      expectStaleNote(result.stderr);
      const exported = JSON.parse(result.stdout);
      expect(exported).toMatchObject({ schemaVersion: 1, scannedAt: "2025-06-02T09:00:00.000Z" });
      expect(exported.scanners).toEqual([
        {
          packageType: "apt",
          status: "error",
          error: expect.stringContaining("Could not get lock"),
          kind: "locked",
          retryable: true,
          failedAt: "2025-06-02T09:00:00.000Z",
          updatesScannedAt: "2025-06-01T08:00:00.000Z",
        },
      ]);
      expect(exported.updates).toHaveLength(119);
      expect(Object.keys(exported.updates[0])).toEqual([
        "packageType",
        "packageName",
        "currentVersion",
        "availableVersion",
        "severity",
        "security",
        "cves",
        "source",
        "status",
      ]);
      expect(new Set(exported.updates.map((update: { status: string }) => update.status))).toEqual(
        new Set(["stale"]),
      );
    });

    test("a good scan afterwards is shown as is, exit 0", async () => {
      const recovered = join(directory, "recovered-scan");
      const path = stateFiles(recovered).lastScan;
      saveLastScan(path, scanAt("2025-06-01T08:00:00Z", [good("apt", bookwormItems())]));
      saveLastScan(path, scanAt("2025-06-02T09:00:00Z", [locked()]));
      saveLastScan(path, scanAt("2025-06-03T10:00:00Z", [good("apt", bookwormItems().slice(0, 2))]));
      const result = await run(["--export=csv"], { stateDirectory: recovered });
      expect(result.exitCode).toBe(exitCodes.ok);
      expect(result.stderr).toBe("");
      const rows = result.stdout.trimEnd().split("\n").slice(1);
      expect(rows).toHaveLength(2);
      for (const row of rows) expect(row).toEndWith(",ok");
    });

    test("a scanner with no earlier result says so", async () => {
      const never = join(directory, "never-scanned");
      saveLastScan(stateFiles(never).lastScan, scanAt("2025-06-02T09:00:00Z", [locked()]));
      const result = await run(["--list-updates"], { stateDirectory: never });
      expect(result.exitCode).toBe(exitCodes.scanFailed);
      expect(result.stdout).toBe("0 updates available (0 security), scanned 2025-06-02T09:00:00.000Z\n");
      expect(result.stderr).toContain("redflag-agent: no earlier apt result to show");
    });
  });

  test("--list-updates without a scan says to scan first", async () => {
    const result = await run(["--list-updates"]);
    expect(result.exitCode).toBe(exitCodes.scanFailed);
    expect(result.stderr).toContain("--scan");
  });
});

describe("the daemon's copies of protocol limits", () => {
  test("agree with @redflag/contracts", async () => {
    const contracts = await import("@redflag/contracts");
    const limits = await import("../../src/limits.ts");
    expect(limits.maxOutputLength).toBe(contracts.maxOutputLength);
    const id = contracts.newId("agent");
    expect(limits.agentIdPattern.test(id)).toBe(true);
    expect(contracts.idSchema("agent").safeParse(`${id}x`).success).toBe(
      limits.agentIdPattern.test(`${id}x`),
    );
    expect(limits.agentIdPattern.test(contracts.newId("command"))).toBe(false);
    const commandId = contracts.newId("command");
    expect(limits.commandIdPattern.test(commandId)).toBe(true);
    expect(limits.commandIdPattern.test(`${commandId}x`)).toBe(false);
    expect(limits.commandIdPattern.test(id)).toBe(false);
  });
});
