import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../src/cli/main.ts";
import { readEnvironment } from "../../src/environment.ts";
import { exitCodes } from "../../src/errors.ts";
import { AptSandbox } from "../package-managers/apt/apt-sandbox.ts";

/** Real apt on an isolated root (see apt-sandbox.ts): rf-app 1.0 installed, 1.1 available. */
let sandbox: AptSandbox;
let configPath: string;

async function setUp() {
  sandbox = new AptSandbox([{ name: "main", suite: "stable", label: "RedFlag Test", origin: "RedFlag" }]);
  const installed = sandbox.addPackage("main", { name: "rf-app", version: "1.0" });
  sandbox.addPackage("main", { name: "rf-app", version: "1.1" });
  sandbox.publish("main");
  sandbox.seed(installed);
  configPath = join(sandbox.directory, "agent-config.json");
  await Bun.write(
    configPath,
    JSON.stringify({
      apt: {
        configFile: sandbox.configFile,
        rebootRequiredFile: join(sandbox.fakeRoot, "run/reboot-required"),
      },
      // Only apt: whatever else this machine has stays out of the test.
      dnf: { enabled: false },
      docker: { enabled: false },
    }),
  );
}

async function run(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const exitCode = await main(
    argv,
    readEnvironment({ AGENT_CONFIG_PATH: configPath, REDFLAG_STATE_DIR: join(sandbox.directory, "state") }),
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      columns: 80,
    },
  );
  return { exitCode, stdout, stderr };
}

describe("--scan on real apt", () => {
  // Scanning needs root, as on a real host; building the repository takes more than a hook's default 5 s
  // on a busy machine.
  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error("--scan needs root: run these tests as root");
    await setUp();
  }, 180_000);
  afterAll(() => sandbox?.remove());

  test("a scan that fails keeps the last good result: stale rows on stdout, the error on stderr, exit 7", async () => {
    const first = await run(["--scan"]);
    expect(first.stderr).toBe("");
    expect(first.exitCode).toBe(exitCodes.ok);
    expect(first.stdout).toMatch(/│ rf-app\s+│ 1\.0\s+│ 1\.1\s+│/);

    // The repository goes away: apt-get update fails.
    rmSync(sandbox.repositoryPath("main"), { recursive: true });
    const failed = await run(["--scan"]);
    expect(failed.exitCode).toBe(exitCodes.scanFailed);
    expect(failed.stderr).toMatch(
      /^redflag-agent: the apt scan failed at \S+ \(trying again later may help\): apt-get update/,
    );
    expect(failed.stderr).toContain("redflag-agent: the apt updates shown are stale, from the scan at");
    expect(failed.stdout).toMatch(/│ rf-app\s+│ 1\.0\s+│ 1\.1\s+│/);
    expect(failed.stdout).toMatch(/^1 update available \(0 security\), scanned \S+, 1 stale$/m);
    expect(failed.stdout).not.toContain("apt-get");

    const exported = await run(["--export=csv"]);
    expect(exported.exitCode).toBe(exitCodes.scanFailed);
    expect(exported.stdout.trimEnd().split("\n").slice(1)).toEqual([
      "apt,rf-app,1.0,1.1,low,false,,RedFlag Test:stable,stale",
    ]);
    expect(exported.stderr).toContain("the apt scan failed");
  });
});
