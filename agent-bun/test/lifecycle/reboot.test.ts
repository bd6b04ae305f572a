import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LeasedCommand } from "@redflag/contracts";
import { type BootIdentity, uptimeBootIdentity } from "../../src/lifecycle/boot-identity.ts";
import { finishReboot, shutdownArgv, startReboot } from "../../src/lifecycle/reboot.ts";

const directory = mkdtempSync(join(tmpdir(), "redflag-reboot-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A stand-in `shutdown` on PATH that records its argv, one argument per line, and exits with `code`. */
function standInShutdown(
  name: string,
  code = 0,
  program = "shutdown",
): { env: Record<string, string>; argv: () => string[] } {
  const bin = join(directory, name);
  const record = join(directory, `${name}.argv`);
  Bun.spawnSync(["mkdir", "-p", bin]);
  writeFileSync(
    join(bin, program),
    `#!/bin/sh\nfor argument in "$@"; do printf '%s\\n' "$argument"; done > '${record}'\necho "Reboot scheduled" >&2\nexit ${code}\n`,
  );
  chmodSync(join(bin, program), 0o755);
  return {
    env: { PATH: `${bin}:/usr/bin:/bin` },
    argv: () => readFileSync(record, "utf8").split("\n").slice(0, -1),
  };
}

let sequence = 0;
function rebootCommand(parameters: Record<string, unknown>): LeasedCommand {
  sequence++;
  return {
    id: `cmd_${String(sequence).padStart(26, "0")}`,
    type: "reboot",
    attempt: 1,
    leaseExpiresAt: new Date(Date.now() + 900_000),
    targets: [],
    parameters,
  } as unknown as LeasedCommand;
}

const boot = (bootId: string, initStartTicks = 19): BootIdentity => ({
  bootId,
  initStartTicks,
  bootedAt: new Date("2026-11-30T20:00:00Z"),
});

describe("reboot", () => {
  test("shutdown's argv: minutes on Linux (now for no delay), seconds on Windows, the message as one argument", () => {
    expect(shutdownArgv("linux", { delaySeconds: 0 })).toEqual(["shutdown", "-r", "now"]);
    expect(shutdownArgv("linux", { delaySeconds: 90, message: "Kernel update; back in 5 min" })).toEqual([
      "shutdown",
      "-r",
      "+2",
      "Kernel update; back in 5 min",
    ]);
    expect(shutdownArgv("win32", { delaySeconds: 0 })).toEqual(["shutdown.exe", "/r", "/t", "0"]);
    expect(shutdownArgv("win32", { delaySeconds: 300, message: "Patches & $(reboot) `now`" })).toEqual([
      "shutdown.exe",
      "/r",
      "/t",
      "300",
      "/c",
      "Patches & $(reboot) `now`",
    ]);
  });

  test("runs shutdown after recording the boot; the result comes once the boot has changed", async () => {
    const shutdown = standInShutdown("ok");
    const markerPath = join(directory, "reboot-ok.json");
    const command = rebootCommand({ delaySeconds: 60, message: "RedFlag: maintenance" });
    const started = new Date("2026-12-01T01:00:00Z");
    const outcome = await startReboot(command, {
      markerPath,
      platform: "linux",
      env: shutdown.env,
      bootIdentity: () => boot("aaaaaaaa-0000-4000-8000-000000000001"),
      now: () => started,
    });
    expect(outcome).toBeNull();
    expect(shutdown.argv()).toEqual(["-r", "+1", "RedFlag: maintenance"]);
    expect(existsSync(markerPath)).toBe(true);
    // Same boot, before the deadline (the delay plus 20 minutes): nothing to report yet.
    const sameBoot = () => boot("aaaaaaaa-0000-4000-8000-000000000001");
    expect(
      finishReboot({ markerPath, bootIdentity: sameBoot, now: () => new Date(started.getTime() + 60_000) }),
    ).toBeNull();
    const after = new Date(started.getTime() + 5 * 60_000);
    const result = finishReboot({
      markerPath,
      bootIdentity: () => ({
        ...boot("bbbbbbbb-0000-4000-8000-000000000002", 7),
        bootedAt: new Date("2026-12-01T01:02:00Z"),
      }),
      now: () => after,
    });
    expect(result).toMatchObject({
      commandId: command.id,
      status: "succeeded",
      output: "Rebooted at 2026-12-01T01:02:00.000Z",
      startedAt: started,
      finishedAt: after,
    });
    expect(existsSync(markerPath)).toBe(false);
    expect(finishReboot({ markerPath, bootIdentity: sameBoot })).toBeNull();
  });

  test("Windows: shutdown.exe from PATH gets /r /t and the message as one argument; the boot time tells the boots apart", async () => {
    const shutdown = standInShutdown("windows", 0, "shutdown.exe");
    const markerPath = join(directory, "reboot-windows.json");
    const started = new Date("2026-12-01T01:00:00Z");
    const command = rebootCommand({ delaySeconds: 120, message: "Windows Update: restarting in 2 minutes" });
    const before = uptimeBootIdentity(started.getTime(), 86_400);
    expect(
      await startReboot(command, {
        markerPath,
        platform: "win32",
        env: shutdown.env,
        bootIdentity: () => before,
        now: () => started,
      }),
    ).toBeNull();
    expect(shutdown.argv()).toEqual(["/r", "/t", "120", "/c", "Windows Update: restarting in 2 minutes"]);
    const later = started.getTime() + 5 * 60_000;
    expect(
      finishReboot({
        markerPath,
        bootIdentity: () => uptimeBootIdentity(later, 86_400 + 300),
        now: () => new Date(later),
      }),
    ).toBeNull();
    const result = finishReboot({
      markerPath,
      bootIdentity: () => uptimeBootIdentity(later, 90),
      now: () => new Date(later),
    });
    expect(result).toMatchObject({ status: "succeeded", output: "Rebooted at 2026-12-01T01:03:30.000Z" });
  });

  test("fails once the deadline passes in the same boot", async () => {
    const shutdown = standInShutdown("late");
    const markerPath = join(directory, "reboot-late.json");
    const started = new Date("2026-12-01T01:00:00Z");
    const identity = () => boot("cccccccc-0000-4000-8000-000000000003");
    const command = rebootCommand({});
    expect(
      await startReboot(command, {
        markerPath,
        platform: "linux",
        env: shutdown.env,
        bootIdentity: identity,
        now: () => started,
      }),
    ).toBeNull();
    expect(shutdown.argv()).toEqual(["-r", "now"]);
    const result = finishReboot({
      markerPath,
      bootIdentity: identity,
      now: () => new Date(started.getTime() + 21 * 60_000),
    });
    expect(result?.status).toBe("failed");
    expect(result?.output).toContain("did not reboot by 2026-12-01T01:20:00.000Z");
    expect(existsSync(markerPath)).toBe(false);
  });

  test("a failing shutdown fails the command at once and leaves no marker", async () => {
    const shutdown = standInShutdown("refused", 1);
    const markerPath = join(directory, "reboot-refused.json");
    const outcome = await startReboot(rebootCommand({ delaySeconds: 0 }), {
      markerPath,
      platform: "linux",
      env: shutdown.env,
      bootIdentity: () => boot("dddddddd-0000-4000-8000-000000000004"),
    });
    expect(outcome?.status).toBe("failed");
    expect(outcome?.exitCode).toBe(1);
    expect(outcome?.output).toContain("shutdown -r now exited with 1: Reboot scheduled");
    expect(existsSync(markerPath)).toBe(false);
  });

  test("refused during an install, and with invalid parameters, before anything runs", async () => {
    const shutdown = standInShutdown("never");
    const markerPath = join(directory, "reboot-never.json");
    const options = {
      markerPath,
      platform: "linux" as const,
      env: shutdown.env,
      bootIdentity: () => boot("e"),
    };
    const busy = await startReboot(rebootCommand({}), { ...options, isInstallRunning: () => true });
    expect(busy).toMatchObject({
      status: "failed",
      output: expect.stringContaining("an install is running"),
    });
    for (const parameters of [
      { delaySeconds: -1 },
      { delaySeconds: 86_401 },
      { delaySeconds: 1.5 },
      { message: "two\nlines" },
      { message: 'say "hi"' },
      { message: "x".repeat(201) },
      { command: "rm -rf /" },
    ]) {
      const outcome = await startReboot(rebootCommand(parameters), options);
      expect(outcome).toMatchObject({
        status: "failed",
        output: expect.stringContaining("Invalid reboot parameters"),
      });
    }
    expect(existsSync(join(directory, "never.argv"))).toBe(false);
    expect(existsSync(markerPath)).toBe(false);
  });
});
