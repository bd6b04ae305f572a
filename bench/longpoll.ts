/**
 * Long polls on the production server (`next start`) over real PostgreSQL:
 * 1. BENCH_HELD (10,000) agents hold long-poll check-ins at once; prints how many the server holds
 *    and its RSS (target ≤ 500 MB).
 * 2. BENCH_DELIVERY_AGENTS (1,000) agents long-poll while an admin installs one update at a time on a
 *    random one of them (BENCH_SAMPLES, 200); prints the delivery latency from `updates.install`
 *    returning to the agent holding the command, p50 and p99 (targets ≤ 1 s and ≤ 2 s).
 * Run with `bun run bench:longpoll` (a throwaway PostgreSQL; many connections, so Bun's fetch limit is
 * raised by the script entry).
 */
import { readFileSync } from "node:fs";
import { startNextServer } from "../test/e2e/next-server.ts";
import { aptItem, scanReport } from "../test/harness/fixtures.ts";
import { apiClient, rawCall } from "../test/harness/server.ts";
import { benchSecret, seedBenchAgents } from "./seed-agents.ts";

const settings = {
  held: Number(process.env.BENCH_HELD ?? 10_000),
  deliveryAgents: Number(process.env.BENCH_DELIVERY_AGENTS ?? 1_000),
  samples: Number(process.env.BENCH_SAMPLES ?? 200),
  postgresUrl: process.env.REDFLAG_TEST_POSTGRES_URL,
};
if (!settings.postgresUrl) throw new Error("Run through `bun run bench:longpoll`, which provides PostgreSQL");

const agentCount = Math.max(settings.held, settings.deliveryAgents);
const seeded = await seedBenchAgents(settings.postgresUrl, agentCount);
const fleet = seeded.fleet;

const server = await startNextServer({
  DATABASE_URL: seeded.databaseUrl,
  REDFLAG_SECRET: benchSecret,
  REDFLAG_ADMIN_USER: "bench",
  REDFLAG_ADMIN_PASSWORD: "bench admin password",
});
const endpoint = `${server.url}/api/trpc/agent.checkIn`;

type Answer = { commands: { id: string }[] };

/** One long-poll check-in over plain HTTP (superjson's envelope), as the agent sends it. */
async function longPoll(token: string, waitSeconds: number, held: string[] = []): Promise<Answer> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({
      json: {
        agentVersion: "0.1.0",
        metrics: {},
        rebootRequired: false,
        waitSeconds,
        runningCommandIds: held,
      },
    }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`check-in answered ${response.status}: ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { result: { data: { json: Answer } } }).result.data.json;
}

function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? 0) / 1024;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

let stopping = false;
try {
  // Each agent's first check-in is plain: it records the heartbeat the long polls then skip.
  for (let start = 0; start < agentCount; start += 200) {
    await Promise.all(fleet.slice(start, start + 200).map((agent) => longPoll(agent.token, 0)));
  }
  const idleRss = rssMiB(server.process.pid);

  // 1. Held long polls.
  let failures = 0;
  const holders = fleet.slice(0, settings.held).map(async (agent, index) => {
    await Bun.sleep((index % 1000) * 2); // opened over 2 s, as a fleet's would be spread
    while (!stopping) {
      await longPoll(agent.token, 50).catch(() => {
        failures++;
      });
    }
  });
  await Bun.sleep(8_000);
  const heldRss = rssMiB(server.process.pid);
  const peakSamples: number[] = [];
  for (let sample = 0; sample < 5; sample++) {
    peakSamples.push(rssMiB(server.process.pid));
    await Bun.sleep(1_000);
  }
  console.log(
    `held long polls: ${settings.held} agents waiting; server RSS idle ${idleRss.toFixed(0)} MiB, holding ${Math.max(heldRss, ...peakSamples).toFixed(0)} MiB (target <= 500 MB); failed polls ${failures}`,
  );
  stopping = true;
  // Held polls end at their wait; the delivery phase runs beside them ending, on its own agents.

  // 2. Delivery latency with BENCH_DELIVERY_AGENTS long-polling.
  const login = await rawCall(server.url, "auth.login", {
    type: "mutation",
    input: { username: "bench", password: "bench admin password" },
  });
  const cookie = login.headers.get("set-cookie")?.split(";")[0] ?? "";
  const operator = apiClient(server.url, { cookie });
  const deliveryFleet = fleet.slice(0, settings.deliveryAgents);
  for (let start = 0; start < deliveryFleet.length; start += 100) {
    await Promise.all(
      deliveryFleet
        .slice(start, start + 100)
        .map((agent) =>
          apiClient(server.url, { token: agent.token }).agent.reportScan.mutate(
            scanReport([aptItem(`bench-package-${agent.id.slice(-6)}`)]),
          ),
        ),
    );
  }
  await Promise.allSettled(holders);
  stopping = false;
  const received = new Map<string, number>();
  const pollers = deliveryFleet.map(async (agent) => {
    let held: string[] = [];
    while (!stopping) {
      const answer = await longPoll(agent.token, 50, held).catch(() => null);
      if (!answer) continue;
      const at = performance.now();
      for (const command of answer.commands) if (!received.has(command.id)) received.set(command.id, at);
      held = answer.commands.map((command) => command.id);
    }
  });
  await Bun.sleep(3_000);
  const latencies: number[] = [];
  const order = [...deliveryFleet].sort(() => Math.random() - 0.5).slice(0, settings.samples);
  for (const agent of order) {
    const [update] = (await operator.updates.list.query({ agentId: agent.id })).items;
    if (!update) throw new Error(`no update for ${agent.id}`);
    const { commandIds } = await operator.updates.install.mutate({ updateIds: [update.id] });
    const returned = performance.now();
    const commandId = commandIds[0] as string;
    const deadline = returned + 10_000;
    while (!received.has(commandId) && performance.now() < deadline) await Bun.sleep(2);
    const at = received.get(commandId);
    latencies.push(at === undefined ? 10_000 : Math.max(0, at - returned));
    await Bun.sleep(50);
  }
  console.log(
    `delivery with ${settings.deliveryAgents} agents long-polling, ${latencies.length} installs: p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms (targets p50 <= 1000 ms, p99 <= 2000 ms); server RSS ${rssMiB(server.process.pid).toFixed(0)} MiB`,
  );
  stopping = true;
  void pollers;
} finally {
  stopping = true;
  await server.stop();
  await seeded.drop();
  process.exit(0);
}
