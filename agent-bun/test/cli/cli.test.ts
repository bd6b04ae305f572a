import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import { readEnvironment } from "../../src/environment.ts";
import { exitCodes } from "../../src/errors.ts";

const directory = mkdtempSync(join(tmpdir(), "redflag-agent-cli-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

async function run(argv: string[], config: unknown = undefined) {
  const configPath = join(directory, `config-${Math.random().toString(36).slice(2)}.json`);
  if (config !== undefined)
    writeFileSync(configPath, typeof config === "string" ? config : JSON.stringify(config));
  let stdout = "";
  let stderr = "";
  const exitCode = await main(
    argv,
    readEnvironment({ AGENT_CONFIG_PATH: configPath, REDFLAG_STATE_DIR: join(directory, "state") }),
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
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
    const notJson = await run(["--status"], "{ not json");
    expect(notJson.exitCode).toBe(exitCodes.usage);
    expect(notJson.stderr).toContain("not valid JSON");
    const unknownField = await run(["--status"], { serverUrl: "http://x", surprise: true });
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
  });
});
