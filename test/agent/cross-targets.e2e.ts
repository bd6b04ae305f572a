import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { agentVersionForBuild } from "../../agent-bun/build.ts";
import { temporaryDirectory } from "../e2e/next-server.ts";

/** The arm64 binary under qemu-user and the Windows exe under Wine: they start, parse, answer. */
const agents = resolve(import.meta.dir, "../../dist/agents");
const version = agentVersionForBuild();
const cleanups: (() => unknown)[] = [];
afterAll(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
});

function run(cmd: string[], env: Record<string, string> = {}) {
  const result = Bun.spawnSync({ cmd, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  return { exitCode: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/** Emulated start-up of a 100 MB binary takes seconds, more on a busy machine. */
const emulatedRunTimeout = 60_000;

describe("the linux-arm64 binary under qemu-user", () => {
  // The binary is dynamically linked: qemu finds arm64 glibc in Debian's cross packages.
  const qemu = [
    "qemu-aarch64-static",
    "-L",
    "/usr/aarch64-linux-gnu",
    join(agents, "redflag-agent-linux-arm64"),
  ];

  test(
    "--version and --help",
    () => {
      const versionRun = run([...qemu, "--version"]);
      expect(versionRun.exitCode).toBe(0);
      expect(versionRun.stdout.trim()).toBe(version);
      const help = run([...qemu, "--help"]);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toContain("--register");
      expect(help.stdout).toContain("/etc/aggregator/config.json");
    },
    emulatedRunTimeout,
  );

  test(
    "not registered: exit code 3",
    () => {
      const directory = temporaryDirectory("redflag-qemu-");
      cleanups.push(directory.remove);
      const status = run([...qemu, "--status"], {
        AGENT_CONFIG_PATH: join(directory.path, "config.json"),
        REDFLAG_STATE_DIR: directory.path,
      });
      expect(status.exitCode).toBe(3);
      expect(status.stdout).toContain("Registered:      no");
    },
    emulatedRunTimeout,
  );
});

describe("the windows-x64 exe under Wine", () => {
  test("--version, --help and Windows paths", () => {
    const directory = temporaryDirectory("redflag-wine-");
    cleanups.push(directory.remove);
    const env = {
      WINEPREFIX: join(directory.path, "prefix"),
      WINEDEBUG: "-all",
      WINEDLLOVERRIDES: "mscoree,mshtml=",
    };
    cleanups.push(() => run(["wineserver", "-k"], env));
    const exe = join(directory.path, "redflag-agent-windows-x64.exe");
    copyFileSync(join(agents, "redflag-agent-windows-x64.exe"), exe);
    // Wine 8 lacks ProcessPrng, which Bun's runtime imports: a stand-in DLL beside the exe provides it.
    const stub = run([
      "x86_64-w64-mingw32-gcc",
      "-shared",
      "-O2",
      "-o",
      join(directory.path, "bcryptprimitives.dll"),
      join(import.meta.dir, "wine", "process-prng.c"),
      join(import.meta.dir, "wine", "bcryptprimitives.def"),
      "-ladvapi32",
    ]);
    expect(stub.stderr).toBe("");
    expect(stub.exitCode).toBe(0);
    expect(run(["wine", "wineboot", "--init"], env).exitCode).toBe(0);

    const versionRun = run(["wine", exe, "--version"], env);
    expect(versionRun.stdout.trim()).toBe(version);
    expect(versionRun.exitCode).toBe(0);
    const help = run(["wine", exe, "--help"], env);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("--register");
    expect(help.stdout).toContain("C:\\ProgramData\\RedFlag\\config.json");
    const status = run(["wine", exe, "--status"], env);
    expect(status.stdout).toContain("C:\\ProgramData\\RedFlag\\config.json (missing)");
    expect(status.exitCode).toBe(3);
  }, 180_000);
});
