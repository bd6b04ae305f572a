/**
 * The agent's footprint, against a bare compiled Bun program (an idle loop built the same way):
 * idle RSS of the daemon, binary sizes raw and gzip-compressed, and `--scan` wall time against
 * the bare `apt-get update && apt list --upgradable`, and each platform scanner against the bare
 * commands it runs. Run with `bun run bench:agent` (builds the agents first).
 * The idle RSS is also set against a second reference, the floor: the idle loop after one fetch to the
 * server, one child process and one file written, which every daemon does (Bun maps in the code
 * behind them); resident memory is split into anonymous (heap) and file-backed (the binary's pages).
 * BENCH_SCAN_RUNS (default 7) sets how many scans each side runs; medians are reported.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AgentTarget,
  agentsDirectory,
  agentTargets,
  agentVersionForBuild,
  compile,
} from "../agent-bun/build.ts";
import { aptScanCommands } from "../agent-bun/src/package-managers/apt/scanner.ts";
import { dnfEnvironment, rpmQueryArgv } from "../agent-bun/src/package-managers/dnf/index.ts";
import { dnfSettings } from "../agent-bun/src/package-managers/dnf/run.ts";
import { dnfScanCommands, scanDnf } from "../agent-bun/src/package-managers/dnf/scanner.ts";
import {
  powerShellArgv,
  windowsUpdateScanScript,
} from "../agent-bun/src/package-managers/windows-update/index.ts";
import { windowsUpdateSettings } from "../agent-bun/src/package-managers/windows-update/run.ts";
import { scanWindowsUpdate } from "../agent-bun/src/package-managers/windows-update/scanner.ts";
import { wingetListUpgradesArgv } from "../agent-bun/src/package-managers/winget/index.ts";
import { wingetSettings } from "../agent-bun/src/package-managers/winget/run.ts";
import { scanWinget } from "../agent-bun/src/package-managers/winget/scanner.ts";
import { agentConfig } from "../agent-bun/test/helpers/agent-config.ts";
import { AptSandbox } from "../agent-bun/test/package-managers/apt/apt-sandbox.ts";
import { DnfSandbox } from "../agent-bun/test/package-managers/dnf/dnf-sandbox.ts";
import { StandIn } from "../agent-bun/test/windows/standins.ts";
import { runAgent, startDaemon } from "../test/agent/agent-process.ts";
import { signIn } from "../test/harness/fixtures.ts";
import { startTestServer } from "../test/harness/server.ts";
import { waitFor } from "../test/harness/wait-for.ts";

const scanRuns = Number(process.env.BENCH_SCAN_RUNS ?? 7);
const work = mkdtempSync(join(tmpdir(), "redflag-bench-agent-"));
const cleanups: (() => unknown)[] = [() => rmSync(work, { recursive: true, force: true })];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

type Rss = { total: number; anonymous: number; file: number };

/** Resident memory in KiB: all of it, anonymous (heaps), file-backed (pages of the binary). */
function rssKiB(pid: number): Rss {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(status)?.[1] ?? 0);
  return { total: field("VmRSS"), anonymous: field("RssAnon"), file: field("RssFile") };
}

/** The largest RSS over a few samples once the process is idle. */
async function idleRss(pid: number): Promise<Rss> {
  let largest: Rss = { total: 0, anonymous: 0, file: 0 };
  for (let sample = 0; sample < 10; sample++) {
    const current = rssKiB(pid);
    if (current.total > largest.total) largest = current;
    await Bun.sleep(200);
  }
  return largest;
}

const describeRss = (rss: Rss) =>
  `${(rss.total / 1024).toFixed(1)} MiB (anonymous ${(rss.anonymous / 1024).toFixed(1)}, file-backed ${(rss.file / 1024).toFixed(1)})`;

/** The floor: what the runtime alone keeps resident once it has done the daemon's kinds of I/O. */
const floorSource = `import { renameSync, writeFileSync } from "node:fs";
await (await fetch(process.env.FLOOR_URL, { method: "POST", body: "{}" })).text();
const child = Bun.spawn(["true"], { stdout: "pipe" });
await new Response(child.stdout).text();
await child.exited;
writeFileSync(\`\${process.env.FLOOR_FILE}.tmp\`, "{}");
renameSync(\`\${process.env.FLOOR_FILE}.tmp\`, process.env.FLOOR_FILE);
setInterval(() => {}, 1 << 30);
`;

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const ratio = (value: number, base: number) => `${(value / base).toFixed(2)}×`;

try {
  // 1. The baseline: an idle loop compiled exactly like the agent, for every target.
  const baselineSource = join(work, "idle.ts");
  writeFileSync(baselineSource, "setInterval(() => {}, 1 << 30);\n");
  const floorEntry = join(work, "floor.ts");
  writeFileSync(floorEntry, floorSource);
  const floorBinary = join(work, "floor");
  await compile({
    entrypoint: floorEntry,
    target: agentTargets[0] as AgentTarget,
    outfile: floorBinary,
    version: "0.0.0",
  });
  const sizes: string[] = [];
  let largestAdded = 0;
  for (const target of agentTargets) {
    const baseline = join(work, `baseline-${target.file}`);
    await compile({ entrypoint: baselineSource, target, outfile: baseline, version: "0.0.0" });
    const agentBytes = readFileSync(join(agentsDirectory, target.file));
    const baselineBytes = readFileSync(baseline);
    const agentGzip = Bun.gzipSync(agentBytes).length;
    const baselineGzip = Bun.gzipSync(baselineBytes).length;
    largestAdded = Math.max(largestAdded, agentBytes.length - baselineBytes.length, agentGzip - baselineGzip);
    sizes.push(
      `  ${target.file.padEnd(30)} raw ${mib(agentBytes.length)} vs ${mib(baselineBytes.length)} (+${mib(agentBytes.length - baselineBytes.length)}, ${ratio(agentBytes.length, baselineBytes.length)})` +
        `   gzip ${mib(agentGzip)} vs ${mib(baselineGzip)} (+${mib(agentGzip - baselineGzip)})`,
    );
  }

  // 2. Idle RSS: the registered daemon between two polls, against the idle loop.
  const baselineProcess = Bun.spawn([join(work, `baseline-${agentTargets[0]?.file}`)], { stdout: "ignore" });
  cleanups.push(() => baselineProcess.kill());
  await Bun.sleep(500);
  const baselineRss = await idleRss(baselineProcess.pid);
  baselineProcess.kill();

  const sandbox = new AptSandbox([
    { name: "main", suite: "bookworm", label: "RedFlag Test", origin: "RedFlag" },
    { name: "security", suite: "bookworm-security", label: "Debian-Security", origin: "Debian" },
  ]);
  cleanups.push(() => sandbox.remove());
  for (let index = 0; index < 20; index++) {
    const repository = index % 4 === 0 ? "security" : "main";
    const name = `rf-bench-${index}`;
    sandbox.seed(sandbox.addPackage(repository, { name, version: "1.0-1" }));
    sandbox.addPackage(repository, { name, version: "1.0-2" });
  }
  sandbox.publish("main");
  sandbox.publish("security");

  const server = await startTestServer();
  cleanups.push(() => server.stop());
  const admin = await signIn(server, "admin");
  const registration = await admin.client.registrationTokens.create.mutate({ label: "bench", seats: 1 });
  const configPath = join(work, "agent", "config.json");
  const stateDirectory = join(work, "agent", "state");
  const env = { AGENT_CONFIG_PATH: configPath, REDFLAG_STATE_DIR: stateDirectory };
  // A host with apt: the machine running the benchmark may have dnf or a Docker CLI too, whose
  // scanners would run alongside apt's and be timed as its.
  await Bun.write(
    configPath,
    JSON.stringify({
      pollJitterSeconds: 0,
      apt: { configFile: sandbox.configFile },
      dnf: { enabled: false },
      docker: { enabled: false },
    }),
  );
  const registered = await runAgent(
    ["--register", "--server", server.url, "--token", registration.token],
    env,
  );
  if (registered.exitCode !== 0) throw new Error(`registration failed: ${registered.stderr}`);
  const daemon = startDaemon(env);
  cleanups.push(() => daemon.stop());
  await daemon.waitForOutput(/Delivered reportScan/);
  await waitFor("the first check-in", () => {
    try {
      return (
        JSON.parse(readFileSync(join(stateDirectory, "daemon_state.json"), "utf8")).lastCheckInAt !== null
      );
    } catch {
      return false;
    }
  });
  await Bun.sleep(1000);
  const daemonRss = await idleRss(daemon.process.pid);
  await daemon.stop();

  const floorProcess = Bun.spawn([floorBinary], {
    env: { ...process.env, FLOOR_URL: `${server.url}/api/trpc/health`, FLOOR_FILE: join(work, "floor.json") },
    stdout: "ignore",
    stderr: "ignore",
  });
  cleanups.push(() => floorProcess.kill());
  await waitFor("the floor program's file", () => existsSync(join(work, "floor.json")));
  await Bun.sleep(1000);
  const floorRss = await idleRss(floorProcess.pid);
  floorProcess.kill();

  // 3. `--scan` against the bare `apt-get update && apt list --upgradable` it stands in for.
  const aptEnv = { ...process.env, APT_CONFIG: sandbox.configFile, LANG: "C", LC_ALL: "C" };
  const bare: number[] = [];
  for (let run = 0; run < scanRuns; run++) {
    const started = performance.now();
    for (const argv of [aptScanCommands.update, aptScanCommands.list]) {
      const result = Bun.spawnSync(argv, { env: aptEnv, stdout: "pipe", stderr: "pipe" });
      if (result.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${result.stderr}`);
    }
    bare.push(performance.now() - started);
  }
  const scans: number[] = [];
  for (let run = 0; run < scanRuns; run++) {
    const started = performance.now();
    const result = await runAgent(["--scan"], env);
    if (result.exitCode !== 0) throw new Error(`--scan failed: ${result.stderr}`);
    scans.push(performance.now() - started);
  }

  // 4. Each platform scanner against the bare tool commands it runs (real dnf on an isolated root;
  // PowerShell and winget as recorded-output stand-ins, so only the agent's own overhead shows).
  const scannerLines: string[] = [];
  const timeScanner = async (
    label: string,
    scan: () => Promise<unknown>,
    bareArgvs: () => string[][],
    env: Record<string, string | undefined>,
  ) => {
    await scan();
    const agentRuns: number[] = [];
    const bareRuns: number[] = [];
    for (let run = 0; run < scanRuns; run++) {
      let started = performance.now();
      for (const argv of bareArgvs()) {
        const result = Bun.spawnSync(argv, { env, stdout: "pipe", stderr: "pipe" });
        if (result.exitCode !== 0 && result.exitCode !== 100)
          throw new Error(`${argv.join(" ")} failed: ${result.stderr}`);
      }
      bareRuns.push(performance.now() - started);
      started = performance.now();
      await scan();
      agentRuns.push(performance.now() - started);
    }
    scannerLines.push(
      `  ${label.padEnd(16)} scanner ${median(agentRuns).toFixed(0)} ms vs bare commands ${median(bareRuns).toFixed(0)} ms = ${ratio(median(agentRuns), median(bareRuns))}`,
    );
  };
  const dnfSandbox = new DnfSandbox();
  cleanups.push(() => dnfSandbox.remove());
  for (let index = 0; index < 20; index++) {
    dnfSandbox.seed(dnfSandbox.add({ name: `rf-bench-${index}`, version: "1.0" }));
    dnfSandbox.add({ name: `rf-bench-${index}`, version: "1.1" });
  }
  dnfSandbox.addAdvisory({
    id: "RFSA-2026:0001",
    type: "security",
    severity: "Important",
    title: "bench",
    cves: ["CVE-2026-0001"],
    packages: [{ name: "rf-bench-0", version: "1.1" }],
  });
  dnfSandbox.publish();
  const dnf = dnfSettings(agentConfig({ dnf: dnfSandbox.agentConfig }));
  const dnfCommands = dnfScanCommands(dnf);
  await timeScanner(
    "dnf (20 updates)",
    () => scanDnf(dnf),
    () => [
      dnfCommands.checkUpdate,
      dnfCommands.advisories,
      dnfCommands.advisoryDetails,
      rpmQueryArgv(
        Array.from({ length: 20 }, (_, index) => `rf-bench-${index}`),
        dnf.rpm,
      ),
    ],
    dnfEnvironment({ ...process.env }),
  );
  const fixtures = join(import.meta.dir, "../agent-bun/test/package-managers");
  const powershell = new StandIn(join(work, "stand-ins"), "powershell.exe").answer("default", {
    file: join(fixtures, "windows-update/fixtures/several-updates.txt"),
  });
  const winget = new StandIn(join(work, "stand-ins"), "winget").answer("upgrade", {
    file: join(fixtures, "winget/fixtures/upgrade-en.txt"),
  });
  const windowsUpdate = windowsUpdateSettings(
    agentConfig({ windowsUpdate: { powershell: powershell.program } }),
  );
  await timeScanner(
    "windows-update",
    () => scanWindowsUpdate(windowsUpdate),
    () => [powerShellArgv(windowsUpdateScanScript, powershell.program)],
    process.env,
  );
  const wingetScan = wingetSettings(agentConfig({ winget: { program: winget.program } }));
  await timeScanner(
    "winget",
    () => scanWinget(wingetScan),
    () => [wingetListUpgradesArgv(winget.program)],
    process.env,
  );

  console.log(
    `agent ${agentVersionForBuild()} on Bun ${Bun.version}, baseline = an idle loop compiled the same way\n`,
  );
  console.log("binary sizes (agent vs baseline):");
  console.log(sizes.join("\n"));
  console.log(`  largest addition by our code: ${mib(largestAdded)} (goal ≤ 3 MiB)\n`);
  console.log(
    `idle RSS: daemon ${(daemonRss.total / 1024).toFixed(1)} MiB vs baseline ${(baselineRss.total / 1024).toFixed(1)} MiB = ${ratio(daemonRss.total, baselineRss.total)} (goal ≤ 1.3×)`,
  );
  console.log(
    `  daemon ${describeRss(daemonRss)}\n  baseline ${describeRss(baselineRss)}\n  floor (baseline + one fetch, one child, one file) ${describeRss(floorRss)} = ${ratio(floorRss.total, baselineRss.total)} of the baseline; daemon = ${ratio(daemonRss.total, floorRss.total)} of the floor`,
  );
  console.log(
    `--scan wall time (20 updates, median of ${scanRuns}): agent ${median(scans).toFixed(0)} ms vs bare apt commands ${median(bare).toFixed(0)} ms = ${ratio(median(scans), median(bare))} (goal ≤ 1.2×)`,
  );
  console.log(
    `  agent runs: ${scans.map((value) => value.toFixed(0)).join(", ")} ms; bare: ${bare.map((value) => value.toFixed(0)).join(", ")} ms`,
  );
  console.log(`per-scanner wall time, median of ${scanRuns} (goal ≤ 1.2×):\n${scannerLines.join("\n")}`);
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}
