/**
 * Plain check-in throughput on real PostgreSQL, side by side in one run: the production server
 * (`next start`, as the README starts it) and the bare handler (the same API handler on a bare
 * `node:http` server, bench/checkin/bare-server.ts, no Next.js). Seeds agents, then has many simulated
 * agents check in concurrently over HTTP, alternating the two servers for BENCH_ROUNDS rounds, and
 * prints each one's median throughput and p50/p99, and the ratio.
 * Run with `bun run bench:checkin` (which starts a throwaway PostgreSQL); options as environment:
 * BENCH_AGENTS (1000), BENCH_CONCURRENCY (64), BENCH_SECONDS (10 per round), BENCH_ROUNDS (3).
 */

import { join } from "node:path";
import { spawn } from "bun";
import { startNextServer } from "../test/e2e/next-server.ts";
import { collectOutput } from "../test/harness/process-output.ts";
import { benchSecret, seedBenchAgents } from "./seed-agents.ts";

const settings = {
  agents: Number(process.env.BENCH_AGENTS ?? 1000),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 64),
  seconds: Number(process.env.BENCH_SECONDS ?? 10),
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  postgresUrl: process.env.REDFLAG_TEST_POSTGRES_URL,
};
if (!settings.postgresUrl) throw new Error("Run through `bun run bench:checkin`, which provides PostgreSQL");

const seeded = await seedBenchAgents(settings.postgresUrl, settings.agents);
const tokens = seeded.fleet.map((agent) => agent.token);
const environment = { DATABASE_URL: seeded.databaseUrl, REDFLAG_SECRET: benchSecret };

const server = await startNextServer(environment);
const bare = await startBareServer(environment);
const body = JSON.stringify({
  json: {
    agentVersion: "0.1.0",
    metrics: {
      cpuPercent: 3.5,
      memoryUsedBytes: 1_000_000,
      memoryTotalBytes: 8_000_000,
      uptimeSeconds: 1000,
    },
    rebootRequired: false,
  },
});

/** Bundles the bare server for Node beside apps/web's dependencies (native ones stay external) and starts it. */
async function startBareServer(environment: Record<string, string>) {
  const webDirectory = join(import.meta.dir, "../apps/web");
  const outfile = join(webDirectory, ".bench/bare-server.mjs");
  const built = await Bun.build({
    entrypoints: [join(import.meta.dir, "checkin/bare-server.ts")],
    target: "node",
    format: "esm",
    external: ["@node-rs/argon2", "@electric-sql/pglite", "postgres"],
  });
  if (!built.success) throw new Error(`bundling the bare server failed: ${built.logs.join("\n")}`);
  await Bun.write(outfile, built.outputs[0] as Blob);
  const child = spawn({
    cmd: ["node", outfile],
    cwd: webDirectory,
    env: { ...process.env, ...environment },
    stdout: "pipe",
    stderr: "pipe",
  });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bare server did not start:\n${output}`)), 30_000);
    collectOutput(child, (text) => {
      output += text;
      const match = /listening (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}

async function checkIn(endpoint: string, token: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body,
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`check-in answered ${response.status}`);
  return performance.now() - started;
}

async function run(baseUrl: string, seconds: number) {
  const endpoint = `${baseUrl}/api/trpc/agent.checkIn`;
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: settings.concurrency }, async () => {
      while (performance.now() < deadline) {
        const token = tokens[next++ % tokens.length] as string;
        try {
          latencies.push(await checkIn(endpoint, token));
        } catch {
          errors++;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { perSecond: latencies.length / seconds, p50: percentile(50), p99: percentile(99), errors };
}

type Round = Awaited<ReturnType<typeof run>>;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
function summary(rounds: Round[]) {
  return {
    perSecond: median(rounds.map((round) => round.perSecond)),
    p50: median(rounds.map((round) => round.p50)),
    p99: median(rounds.map((round) => round.p99)),
    errors: rounds.reduce((sum, round) => sum + round.errors, 0),
  };
}

try {
  // Warm-up: JIT, connection pools, query plans of both.
  await run(server.url, 3);
  await run(bare.url, 3);
  const production: Round[] = [];
  const bareRounds: Round[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    production.push(await run(server.url, settings.seconds));
    bareRounds.push(await run(bare.url, settings.seconds));
  }
  const a = summary(production);
  const b = summary(bareRounds);
  console.log(
    `agents: ${settings.agents}, concurrency: ${settings.concurrency}, ${settings.rounds} rounds of ${settings.seconds} s each, alternating; medians`,
  );
  const line = (label: string, value: ReturnType<typeof summary>) =>
    console.log(
      `${label}: ${value.perSecond.toFixed(0)} check-ins/s, p50 ${value.p50.toFixed(1)} ms, p99 ${value.p99.toFixed(1)} ms, errors ${value.errors}`,
    );
  line("production server (next start, agent path)", a);
  line("bare handler (node:http, no Next.js)      ", b);
  console.log(`ratio production / bare: ${(a.perSecond / b.perSecond).toFixed(2)} (target >= 0.8)`);
  console.log("target: >= 2000 check-ins/s at p99 <= 50 ms (the load generator shares the 2 cores)");
} finally {
  await server.stop();
  await bare.stop();
  await seeded.drop();
}
