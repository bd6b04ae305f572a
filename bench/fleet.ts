/**
 * Fleet fault harness: N simulated agents (default 1,000) speak the real protocol over HTTP to the
 * production server on real PostgreSQL while an admin asks for scans and approves and installs their
 * updates; mid-run the server is killed with SIGKILL (once timed while commands are handed out) and
 * PostgreSQL restarted with `-m immediate`. It prints throughput and latency outside the fault
 * windows, errors and recovery per fault, then checks from the database and the execution ledger
 * that no command was lost, doubled or left stuck, and exits 1 on any violation.
 *
 * `bun run bench:fleet` (1,000 agents, 240 s) or `bun run bench:fleet:small` (100 agents, 60 s, one
 * fault of each kind). Environment: BENCH_FLEET_AGENTS, BENCH_FLEET_SECONDS, BENCH_FLEET_POLL_SECONDS
 * (plain poll interval), BENCH_FLEET_WAIT_SECONDS (longest long-poll asked for), BENCH_FLEET_ACK_SECONDS
 * (the server's acknowledgement window, 60), BENCH_FLEET_GRACE_SECONDS (5xx allowed this long after
 * a fault is repaired, 5), BENCH_FLEET_DRAIN_SECONDS, BENCH_FLEET_RECOVERY_SECONDS (60).
 */
import { signAccessToken } from "@redflag/api/auth/tokens.ts";
import type { AgentId } from "@redflag/contracts";
import { freePort } from "../test/e2e/next-server.ts";
import { FleetAdmin } from "./fleet/admin.ts";
import { type FleetContext, SimulatedAgent } from "./fleet/agent.ts";
import { checkRun } from "./fleet/checks.ts";
import { type InjectedFault, injectFault } from "./fleet/faults.ts";
import { ExecutionLedger } from "./fleet/ledger.ts";
import { createRunDatabase, observeDatabase } from "./fleet/postgres.ts";
import { Recorder } from "./fleet/recorder.ts";
import { printFigures } from "./fleet/report.ts";
import { FleetServer } from "./fleet/server.ts";
import { readSettings } from "./fleet/settings.ts";

const settings = readSettings(process.argv.slice(2));
const secret = "fleet-benchmark-secret-0123456789-abcdef";
const adminUser = "fleet-admin";
const adminPassword = "fleet admin password 0123456789";
const started = performance.now();

/** Runs `task` over `items`, `width` at a time. */
async function inPool<T>(items: T[], width: number, task: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let index = next++; index < items.length; index = next++) await task(items[index] as T);
    }),
  );
}

const database = await createRunDatabase(settings.postgresUrl);
const observer = observeDatabase(database.url);
const server = new FleetServer(await freePort(), {
  DATABASE_URL: database.url,
  REDFLAG_SECRET: secret,
  REDFLAG_ADMIN_USER: adminUser,
  REDFLAG_ADMIN_PASSWORD: adminPassword,
  // A thousand agents register and renew from one address here.
  REDFLAG_RATE_LIMIT_MULTIPLIER: "100",
});
const stopController = new AbortController();
// Stopped from outside (Ctrl-C, a CI timeout): the server goes with it; with-postgres.sh removes the cluster.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void server.kill().finally(() => process.exit(130));
  });
}
let exitCode = 1;
try {
  const startMs = await server.start();
  console.log(
    `fleet: ${settings.agents} agents, ${settings.seconds} s, plain poll ${settings.pollSeconds} s, long polls up to ${settings.waitSeconds} s, acknowledgement window ${settings.acknowledgementSeconds} s, 5xx grace ${settings.graceSeconds} s; faults: ${settings.faults.map((fault) => `${fault.kind} at ${fault.atSeconds} s`).join(", ")}`,
  );
  console.log(`server up in ${(startMs / 1000).toFixed(1)} s on ${server.url}`);
  const admin = await FleetAdmin.connect(server.url, adminUser, adminPassword);
  const recorder = new Recorder();
  const ledger = new ExecutionLedger();
  const faults: InjectedFault[] = [];
  const context: FleetContext = {
    url: server.url,
    settings,
    recorder,
    ledger,
    stop: stopController.signal,
    rejections: [],
    lostCredentials: [],
  };

  // Registration for real, through a registration token, as `--register` does.
  const registrationToken = await admin.registrationToken(settings.agents);
  const agents = Array.from({ length: settings.agents }, (_, index) => new SimulatedAgent(index, context));
  const registering = performance.now();
  await inPool(agents, 16, (agent) => agent.register(registrationToken));
  console.log(
    `registered ${agents.length} agents in ${((performance.now() - registering) / 1000).toFixed(1)} s`,
  );
  await inPool(agents, 16, (agent) => agent.deliver());

  // One agent in ten holds an access token that runs out during the run: it must renew when told.
  const generations = await observer.tokenGenerations(agents.map((agent) => agent.agentId));
  for (const agent of agents.filter((_, index) => index % 10 === 3)) {
    const expiresAt = new Date(Date.now() + (10 + Math.random() * settings.seconds * 0.6) * 1000);
    agent.useAccessToken(
      signAccessToken(secret, {
        agentId: agent.agentId as AgentId,
        generation: generations.get(agent.agentId) ?? 0,
        expiresAt,
      }),
    );
  }

  const runStart = recorder.now();
  const runEndAt = runStart + settings.seconds * 1000;
  const handoutHoldMs = 15_000;
  const running = agents.map((agent) => agent.run());

  // The admin: scans asked of a few agents at a time, their updates approved and installed.
  let holdInstalls = false;
  let driving = true;
  const scansPerStep = Math.max(1, Math.ceil((settings.agents * 3) / (settings.seconds / 2)));
  let nextScan = 0;
  const driver = (async () => {
    while (driving) {
      const batch = Array.from(
        { length: scansPerStep },
        (_, offset) => agents[(nextScan + offset) % agents.length]?.agentId ?? "",
      );
      nextScan += scansPerStep;
      await admin.requestScans(batch);
      if (!holdInstalls) await admin.approveAndInstall(1000);
      await Bun.sleep(2000);
    }
  })();

  // Commands `sent` past the acknowledgement window that their agent does not hold are stuck.
  const stuck = new Map<string, string>();
  const agentsById = new Map(agents.map((agent) => [agent.agentId, agent]));
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await Bun.sleep(5000);
      const rows = await observer.sentLongerThan(settings.stuckAfterSeconds).catch(() => []);
      for (const row of rows) {
        if (agentsById.get(row.agent_id)?.heldCommandIds().includes(row.id)) continue;
        stuck.set(row.id, `${row.id} (agent ${row.agent_id}, attempt ${row.attempt})`);
      }
    }
  })();

  const problems: string[] = [];
  /** Waits until the last fault's agents have all checked in again (or its recovery time ran out). */
  const recovered = async () => {
    const last = faults.at(-1)?.window;
    if (!last) return runStart;
    while (last.roundAt === null && recorder.now() - last.startedAt < settings.recoverySeconds * 1000) {
      await Bun.sleep(200);
    }
    return last.roundAt ?? recorder.now();
  };
  for (const fault of settings.faults) {
    // Each window apart from the last, so its errors and recovery are its own.
    const at = Math.max(runStart + fault.atSeconds * 1000, (await recovered()) + 5000);
    if (fault.kind === "server-kill-during-handout") {
      // Installs wait while the scans asked meanwhile find updates: the kill meets a large hand-out.
      await Bun.sleep(Math.max(0, at - handoutHoldMs - recorder.now()));
      holdInstalls = true;
    }
    await Bun.sleep(Math.max(0, at - recorder.now()));
    const injected = await injectFault(fault, {
      settings,
      server,
      admin,
      observer,
      recorder,
      ledger,
      problems,
    });
    faults.push(injected);
    holdInstalls = false;
    console.log(
      `${injected.window.name}: injected at ${((injected.window.startedAt - runStart) / 1000).toFixed(1)} s`,
    );
  }
  await Bun.sleep(Math.max(0, Math.max(runEndAt, (await recovered()) + 10_000) - recorder.now()));
  const runEnd = recorder.now();
  driving = false;
  await driver;

  // Drain: no new work; what was approved is installed, every command finishes, every outbox empties.
  const drainDeadline = performance.now() + settings.drainSeconds * 1000;
  for (;;) {
    const approvedLeft = await admin.approvedLeft().catch(() => 1);
    if (approvedLeft > 0) await admin.approveAndInstall(0, { approveNew: false });
    const unfinished = await observer.unfinishedCommands().catch(() => [{}]);
    const outboxes = agents.reduce((total, agent) => total + agent.outbox.length, 0);
    if (approvedLeft === 0 && unfinished.length === 0 && outboxes === 0) break;
    if (performance.now() > drainDeadline) {
      console.log(
        `drain: gave up after ${settings.drainSeconds} s with ${unfinished.length} unfinished commands, ${approvedLeft} approved updates, ${outboxes} undelivered reports`,
      );
      break;
    }
    await Bun.sleep(1000);
  }
  console.log(`drained ${((recorder.now() - runEnd) / 1000).toFixed(1)} s after the run`);
  sampling = false;
  await sampler;
  stopController.abort();
  await Promise.all(running);

  if (settings.recordsPath) {
    await Bun.write(
      settings.recordsPath,
      `${recorder.requests.map((request) => JSON.stringify(request)).join("\n")}\n`,
    );
  }
  printFigures({ recorder, faults, runStart, runEnd, graceMs: settings.graceSeconds * 1000 });
  const executions = [...ledger.byCommand.values()].reduce((total, runs) => total + runs.length, 0);
  console.log(
    `\ncommands executed: ${executions} (${ledger.byCommand.size} distinct), second offers refused by the agents' ledgers: ${ledger.secondOffers}, install commands: ${admin.installCommands.size}, approved updates: ${admin.approved.size}, token renewals: ${agents.reduce((total, agent) => total + agent.renewals, 0)}, admin calls that failed: ${admin.failedCalls}`,
  );

  const violations = await checkRun({
    settings,
    context,
    agents,
    admin,
    observer,
    recorder,
    faults,
    stuck,
    runStart,
    problems,
  });
  if (violations.length === 0) {
    console.log(
      "\nchecks: every command ended, none ran twice, every approved update installed, none stuck in `sent`, no 5xx once the server and database were back",
    );
    exitCode = 0;
  } else {
    console.log(`\nVIOLATIONS (${violations.length}):`);
    for (const violation of violations) console.log(`- ${violation}`);
  }
  console.log(`total time ${((performance.now() - started) / 1000).toFixed(0)} s`);
} catch (error) {
  console.error(error);
  console.error(`server output (tail):\n${server.output().slice(-4000)}`);
} finally {
  stopController.abort();
  await server.stop();
  await observer.end().catch(() => {});
  await database.drop().catch((error) => console.error(`could not drop the run's database: ${error}`));
}
process.exit(exitCode);
