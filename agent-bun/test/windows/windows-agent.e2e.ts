import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { temporaryDirectory } from "../../../test/e2e/next-server.ts";

/**
 * The compiled windows-x64 exe under Wine doing real scans: its PowerShell and winget calls are
 * answered by stand-in exes (built here with mingw) that print outputs recorded on Windows. This
 * proves the Windows binary's own code path: scanner selection on win32, process spawning through
 * PATH, and its file locations (C:\ProgramData\RedFlag). Run after `bun run build:agents`.
 */
const agents = resolve(import.meta.dir, "../../../dist/agents");
const repository = resolve(import.meta.dir, "../../..");
const cleanups: (() => unknown)[] = [];
afterAll(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
});

function run(cmd: string[], env: Record<string, string> = {}) {
  const result = Bun.spawnSync({ cmd, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  return { exitCode: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

describe("the windows-x64 exe under Wine", () => {
  test("--scan finds Windows updates and winget upgrades through stand-ins; a PowerShell that prints nothing is an error for that scanner only", () => {
    const directory = temporaryDirectory("redflag-wine-scan-");
    cleanups.push(directory.remove);
    const prefix = join(directory.path, "prefix");
    const env = { WINEPREFIX: prefix, WINEDEBUG: "-all", WINEDLLOVERRIDES: "mscoree,mshtml=" };
    cleanups.push(() => run(["wineserver", "-k"], env));
    const exe = join(directory.path, "redflag-agent-windows-x64.exe");
    copyFileSync(join(agents, "redflag-agent-windows-x64.exe"), exe);
    const mingw = (output: string, sources: string[], extra: string[] = []) => {
      const built = run(["x86_64-w64-mingw32-gcc", "-O2", "-o", output, ...sources, ...extra]);
      expect(built.stderr).toBe("");
      expect(built.exitCode).toBe(0);
    };
    // Wine 8 lacks ProcessPrng, which Bun's runtime imports (see test/agent/cross-targets.e2e.ts).
    mingw(
      join(directory.path, "bcryptprimitives.dll"),
      [
        join(repository, "test/agent/wine/process-prng.c"),
        join(repository, "test/agent/wine/bcryptprimitives.def"),
      ],
      ["-shared", "-ladvapi32"],
    );
    const standIns = join(directory.path, "stand-ins");
    mkdirSync(standIns);
    const replay = join(directory.path, "replay.exe");
    mingw(replay, [join(import.meta.dir, "wine", "replay.c")]);
    copyFileSync(replay, join(standIns, "powershell.exe"));
    copyFileSync(replay, join(standIns, "winget.exe"));
    const fixtures = join(import.meta.dir, "../package-managers");
    copyFileSync(
      join(fixtures, "windows-update/fixtures/several-updates.txt"),
      join(standIns, "powershell.default.out"),
    );
    copyFileSync(join(fixtures, "winget/fixtures/upgrade-en.txt"), join(standIns, "winget.upgrade.out"));
    expect(run(["wine", "wineboot", "--init"], env).exitCode).toBe(0);

    // WINEPATH puts the stand-ins ahead of Windows' own directories on the exe's PATH.
    // COLUMNS: a terminal wide enough that no cell is cut short (the table fits the terminal).
    const withStandIns = { ...env, WINEPATH: `Z:${standIns.replaceAll("/", "\\")}`, COLUMNS: "200" };
    const scan = run(["wine", exe, "--scan"], withStandIns);
    expect(scan.stderr).toBe("");
    expect(scan.exitCode).toBe(0);
    expect(scan.stdout).toMatch(
      /windows_update\s*│\s*KB5034123\s*│\s*-\s*│.*│\s*important\s*│\s*yes\s*│\s*Windows Update\s*│\s*2024-01 Cumulative Update/,
    );
    expect(scan.stdout).toMatch(/winget\s*│\s*Git\.Git\s*│\s*2\.43\.0\s*│\s*2\.44\.0\s*│/);
    const powershellCalls = readFileSync(join(standIns, "powershell.log"), "utf8");
    expect(powershellCalls).toContain("-NoProfile -NonInteractive -ExecutionPolicy Bypass -Command");
    expect(readFileSync(join(standIns, "winget.log"), "utf8")).toContain(
      "upgrade --accept-source-agreements",
    );
    // The scan cache is where the Windows agent keeps it.
    const cache = join(prefix, "drive_c/ProgramData/RedFlag/last_scan.json");
    expect(existsSync(cache)).toBe(true);
    const cached = JSON.parse(readFileSync(cache, "utf8"));
    expect(
      cached.scanners
        .map((scanner: { packageType: string; status: string }) => `${scanner.packageType} ${scanner.status}`)
        .sort(),
    ).toEqual(["windows_update ok", "winget ok"]);
    const listed = run(["wine", exe, "--list-updates"], withStandIns);
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout).toContain("KB5034123");

    // Without the stand-in, Wine's own powershell.exe prints nothing and exits 0: an error, not "no updates".
    rmSync(join(standIns, "powershell.exe"));
    writeFileSync(join(standIns, "winget.log"), "");
    const stubbed = run(["wine", exe, "--scan"], withStandIns);
    expect(stubbed.exitCode).toBe(7);
    // The failure goes to stderr; the last good Windows Update result stays, marked stale.
    expect(stubbed.stderr).toContain("the windows_update scan failed at");
    expect(stubbed.stderr).toContain("Windows Update search: PowerShell printed nothing (exit 0)");
    expect(stubbed.stderr).toContain("the windows_update updates shown are stale");
    expect(stubbed.stdout).not.toContain("PowerShell printed nothing");
    expect(stubbed.stdout).toMatch(/winget\s*│\s*Git\.Git/);
    expect(stubbed.stdout).toMatch(/KB5034123.*stale/);
  }, 240_000);
});
