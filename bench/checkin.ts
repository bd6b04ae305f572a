/**
 * Check-in throughput of the production server on real PostgreSQL: seeds agents, starts `next start`,
 * and has many simulated agents check in concurrently over HTTP for a fixed time.
 * Run with `bun run bench:checkin` (which starts a throwaway PostgreSQL); options as environment:
 * BENCH_AGENTS (1000), BENCH_CONCURRENCY (64), BENCH_SECONDS (15).
 */
import { signAccessToken } from "@redflag/api/auth/tokens.ts";
import { newId } from "@redflag/contracts";
import { agents, createDatabase, locateMigrationsFolder, migrate } from "@redflag/db";
import postgres from "postgres";
import { startNextServer } from "../test/e2e/next-server.ts";

const settings = {
  agents: Number(process.env.BENCH_AGENTS ?? 1000),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 64),
  seconds: Number(process.env.BENCH_SECONDS ?? 15),
  postgresUrl: process.env.REDFLAG_TEST_POSTGRES_URL,
};
if (!settings.postgresUrl) throw new Error("Run through `bun run bench:checkin`, which provides PostgreSQL");

const secret = "benchmark-secret-benchmark-secret-0123456789";
const name = `redflag_bench_${Math.random().toString(36).slice(2, 8)}`;
const admin = postgres(settings.postgresUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const url = new URL(settings.postgresUrl);
url.pathname = `/${name}`;

const handle = await createDatabase({ driver: "postgres", url: url.toString() });
await migrate(handle.db, locateMigrationsFolder(import.meta.dir));
const expiresAt = new Date(Date.now() + 3600_000);
const tokens: string[] = [];
for (let start = 0; start < settings.agents; start += 1000) {
  const rows = Array.from({ length: Math.min(1000, settings.agents - start) }, (_, index) => ({
    id: newId("agent"),
    hostname: `bench-${start + index}`,
    osType: "linux" as const,
    osName: "Debian GNU/Linux",
    osVersion: "12",
    architecture: "x86_64",
    agentVersion: "0.1.0",
    machineId: `bench-${start + index}`,
  }));
  await handle.db.insert(agents).values(rows);
  tokens.push(...rows.map((row) => signAccessToken(secret, { agentId: row.id, generation: 0, expiresAt })));
}
await handle.close();

const server = await startNextServer({ DATABASE_URL: url.toString(), REDFLAG_SECRET: secret });
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
const endpoint = `${server.url}/api/trpc/agent.checkIn`;

async function checkIn(token: string): Promise<number> {
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

async function run(seconds: number) {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: settings.concurrency }, async () => {
      while (performance.now() < deadline) {
        const token = tokens[next++ % tokens.length] as string;
        try {
          latencies.push(await checkIn(token));
        } catch {
          errors++;
        }
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), errors };
}

try {
  await run(3); // warm-up: JIT, connection pool, query plans
  const { latencies, errors } = await run(settings.seconds);
  const percentile = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  console.log(
    `agents: ${settings.agents}, concurrency: ${settings.concurrency}, duration: ${settings.seconds} s`,
  );
  console.log(`check-ins: ${latencies.length}, errors: ${errors}`);
  console.log(`throughput: ${(latencies.length / settings.seconds).toFixed(0)} check-ins/s`);
  console.log(
    `latency: p50 ${percentile(50).toFixed(1)} ms, p90 ${percentile(90).toFixed(1)} ms, p99 ${percentile(99).toFixed(1)} ms`,
  );
  console.log("target: >= 2000 check-ins/s at p99 <= 50 ms on 2 cores (load generator shares the cores)");
} finally {
  await server.stop();
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
