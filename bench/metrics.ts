/**
 * What a Prometheus scrape costs on a big fleet: the database read behind /metrics' gauges (a few
 * GROUP BY queries, metrics/read-fleet.ts) and the whole scrape (ping, read, text), on a fresh
 * PostgreSQL database seeded by scripts/seed-demo.ts. Run with
 * `scripts/with-postgres.sh bun run bench/metrics.ts`.
 * Options as environment: BENCH_AGENTS (10000), BENCH_UPDATES (1000000), BENCH_ROUNDS (20).
 */
import { createDatabase, locateMigrationsFolder, migrate } from "@redflag/db";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { fleetQueries, readFleet } from "../packages/api/src/metrics/read-fleet.ts";
import { ServerMetrics } from "../packages/api/src/metrics/server-metrics.ts";
import { seedDemo } from "../scripts/seed-demo.ts";

const settings = {
  agents: Number(process.env.BENCH_AGENTS ?? 10_000),
  updates: Number(process.env.BENCH_UPDATES ?? 1_000_000),
  rounds: Number(process.env.BENCH_ROUNDS ?? 20),
  postgresUrl: process.env.REDFLAG_TEST_POSTGRES_URL,
};
if (!settings.postgresUrl) throw new Error("Run through scripts/with-postgres.sh, which provides PostgreSQL");

const name = `redflag_metrics_bench_${Math.random().toString(36).slice(2, 8)}`;
const admin = postgres(settings.postgresUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const url = new URL(settings.postgresUrl);
url.pathname = `/${name}`;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function time(label: string, run: () => Promise<unknown>) {
  await run();
  await run();
  const times: number[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(36)} ${percentile(times, 50).toFixed(1).padStart(7)} ms ${percentile(times, 90).toFixed(1).padStart(7)} ms ${(times.at(-1) ?? 0).toFixed(1).padStart(7)} ms`,
  );
}

try {
  const handle = await createDatabase({ driver: "postgres", url: url.toString() });
  await migrate(handle.db, locateMigrationsFolder(import.meta.dir));
  console.log(`seeding ${settings.agents} agents, ${settings.updates} updates…`);
  const seeded = await seedDemo(handle.db, {
    agents: settings.agents,
    updates: settings.updates,
    commandsPerAgent: 3,
    log: (line) => console.log(`  ${line}`),
  });
  await handle.db.execute(sql`analyze`);
  const metrics = new ServerMetrics({ ...handle, version: "bench", procedures: [] });
  console.log(
    `\n${settings.rounds} rounds after 2 warm-up runs (${seeded.agents} agents, ${seeded.updates} updates, ${seeded.commands} commands)`,
  );
  console.log(`${"".padEnd(36)} ${"p50".padStart(10)} ${"p90".padStart(10)} ${"max".padStart(10)}`);
  const queries = fleetQueries(handle.db, { now: new Date(), defaultPollIntervalSeconds: 300 });
  for (const [name, query] of Object.entries(queries))
    await time(`  query: ${name}`, async () => await query);
  await time("fleet gauges (database read)", () => readFleet(handle.db, new Date()));
  await time("whole scrape (ping, read, text)", () => metrics.scrape());
  await handle.close();
} finally {
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
