import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { agentVersionForBuild } from "../../agent-bun/build.ts";
import { AptSandbox } from "../../agent-bun/test/package-managers/apt/apt-sandbox.ts";
import { temporaryDirectory } from "../e2e/next-server.ts";
import { downloadArm64MuslLoader, muslArm64, muslRoot, muslX64, rootContents } from "./musl-root.ts";

/**
 * The binaries for other targets start, parse and answer: arm64 under qemu-user, the musl ones in a
 * root with nothing of glibc, the x64 one on an emulated CPU without AVX2, the Windows exe under Wine.
 */
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

/** A CPU from before AVX (2010): what the baseline runtime must run on (Atoms and Celerons lack AVX2 too). */
const cpuWithoutAvx2 = "Westmere";

describe(`the linux-x64 binary on a CPU without AVX2 (qemu -cpu ${cpuWithoutAvx2})`, () => {
  const qemu = ["qemu-x86_64-static", "-cpu", cpuWithoutAvx2];

  test("the emulated CPU really lacks AVX2: one AVX2 instruction is refused there, and runs on a Haswell", () => {
    const directory = temporaryDirectory("redflag-avx2-");
    cleanups.push(directory.remove);
    const probe = join(directory.path, "avx2-probe");
    const compiled = run(["gcc", "-O0", "-o", probe, join(import.meta.dir, "cpu", "avx2-probe.c")]);
    expect(compiled.stderr).toBe("");
    expect(compiled.exitCode).toBe(0);
    // In the temporary directory: qemu may leave a core file where the probe dies.
    const refused = Bun.spawnSync({
      cmd: [...qemu, probe],
      cwd: directory.path,
      stdout: "pipe",
      stderr: "pipe",
    });
    const withoutAvx2 = { exitCode: refused.exitCode, stderr: refused.stderr.toString() };
    expect(withoutAvx2.stderr).toContain("Illegal instruction");
    expect(withoutAvx2.exitCode).not.toBe(0);
    expect(run(["qemu-x86_64-static", "-cpu", "Haswell", probe]).exitCode).toBe(0);
  });

  test(
    "--version, --status not registered (exit 3), and a real apt scan",
    () => {
      const binary = join(agents, "redflag-agent-linux-x64");
      const versionRun = run([...qemu, binary, "--version"]);
      expect(versionRun.exitCode).toBe(0);
      expect(versionRun.stdout.trim()).toBe(version);

      const directory = temporaryDirectory("redflag-westmere-");
      cleanups.push(directory.remove);
      const sandbox = new AptSandbox([
        { name: "main", suite: "bookworm", label: "RedFlag Test", origin: "RedFlag" },
      ]);
      cleanups.push(() => sandbox.remove());
      const installed = sandbox.addPackage("main", { name: "rf-westmere", version: "1.0-1" });
      sandbox.addPackage("main", { name: "rf-westmere", version: "1.1-1" });
      sandbox.publish("main");
      sandbox.seed(installed);
      const configPath = join(directory.path, "config.json");
      writeFileSync(configPath, JSON.stringify({ apt: { configFile: sandbox.configFile } }));
      const env = { AGENT_CONFIG_PATH: configPath, REDFLAG_STATE_DIR: directory.path, COLUMNS: "200" };

      const status = run([...qemu, binary, "--status"], env);
      expect(status.stdout).toContain("Registered:      no");
      expect(status.exitCode).toBe(3);
      const scan = run([...qemu, binary, "--scan"], env);
      expect(scan.stderr).toBe("");
      expect(scan.exitCode).toBe(0);
      expect(scan.stdout).toMatch(/│\s*rf-westmere\s*│\s*1\.0-1\s*│\s*1\.1-1\s*│/);
      expect(scan.stdout).toContain("1 update available");
    },
    emulatedRunTimeout,
  );
});

/** What a musl root may hold: musl's loader, the libstdc++ linked to it, static programs. */
function expectMuslOnly(root: string, loader: string) {
  const contents = rootContents(root);
  expect(contents.map((file) => file.path)).not.toContainEqual(expect.stringMatching(/libc\.so\.6|ld-linux/));
  for (const file of contents) {
    if (file.interpreter !== null) expect(file.interpreter).toBe(loader);
    for (const library of file.needed) {
      expect([
        "libc.so",
        "libstdc++.so.6",
        `libc.musl-${loader.includes("aarch64") ? "aarch64" : "x86_64"}.so.1`,
      ]).toContain(library);
    }
  }
  const agent = contents.find((file) => file.path === "/redflag-agent");
  expect(agent?.interpreter).toBe(loader);
  expect(agent?.needed).toContain("libstdc++.so.6");
}

/** --version, --help and --status (not registered: exit 3) inside the root, by chroot. */
function expectAgentAnswers(root: string, prefix: string[]) {
  const inRoot = (args: string[]) =>
    run(["chroot", root, ...prefix, "/redflag-agent", ...args], {
      AGENT_CONFIG_PATH: "/state/config.json",
      REDFLAG_STATE_DIR: "/state",
    });
  const versionRun = inRoot(["--version"]);
  expect(versionRun.stderr).toBe("");
  expect(versionRun.exitCode).toBe(0);
  expect(versionRun.stdout.trim()).toBe(version);
  const help = inRoot(["--help"]);
  expect(help.exitCode).toBe(0);
  expect(help.stdout).toContain("--register");
  const status = inRoot(["--status"]);
  expect(status.stdout).toContain("Config:          /state/config.json (missing)");
  expect(status.stdout).toContain("Registered:      no");
  expect(status.exitCode).toBe(3);
}

describe("the linux-x64-musl binary in a root that holds only musl", () => {
  let root = "";
  beforeAll(() => {
    const directory = temporaryDirectory("redflag-musl-x64-");
    cleanups.push(directory.remove);
    root = muslRoot({
      architecture: muslX64,
      // Debian's musl package.
      muslLoader: "/lib/ld-musl-x86_64.so.1",
      binary: join(agents, "redflag-agent-linux-x64-musl"),
      work: directory.path,
      extraFiles: ["/usr/bin/qemu-x86_64-static"],
    });
  }, emulatedRunTimeout);

  test("the root has musl's loader and a libstdc++ linked to it, nothing of glibc", () => {
    expectMuslOnly(root, "/lib/ld-musl-x86_64.so.1");
  });

  test("--version, --help, --status not registered (exit 3)", () => {
    expectAgentAnswers(root, []);
  });

  test(
    `the same on a CPU without AVX2 (qemu -cpu ${cpuWithoutAvx2})`,
    () => {
      expectAgentAnswers(root, ["/qemu-x86_64-static", "-cpu", cpuWithoutAvx2]);
    },
    emulatedRunTimeout,
  );
});

describe("the linux-arm64-musl binary under qemu-user in a root that holds only arm64 musl", () => {
  let root = "";
  beforeAll(() => {
    const directory = temporaryDirectory("redflag-musl-arm64-");
    cleanups.push(directory.remove);
    root = muslRoot({
      architecture: muslArm64,
      muslLoader: downloadArm64MuslLoader(join(directory.path, "apt")),
      binary: join(agents, "redflag-agent-linux-arm64-musl"),
      work: directory.path,
      extraFiles: ["/usr/bin/qemu-aarch64-static"],
    });
  }, emulatedRunTimeout);

  test("the root has arm64 musl's loader and a libstdc++ linked to it, nothing of glibc", () => {
    expectMuslOnly(root, "/lib/ld-musl-aarch64.so.1");
  });

  test(
    "--version, --help, --status not registered (exit 3)",
    () => {
      expectAgentAnswers(root, ["/qemu-aarch64-static"]);
    },
    emulatedRunTimeout,
  );
});
