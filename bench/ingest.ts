/**
 * Scan report ingest: how long `agent.reportScan` takes for 500 and 5,000 items, and how long an
 * admin's call (agents.list) waits while a 5,000-item report is being reconciled.
 * Runs the real API handler over HTTP in this process (as `next start` hosts it) on an on-disk
 * embedded PGlite, or on the PostgreSQL named by REDFLAG_TEST_POSTGRES_URL (a fresh database).
 * `bun run bench:ingest` runs both; options as environment: BENCH_ROUNDS (7).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTrpcHandler, defaultRateLimits, startApiServer } from "@redflag/api";
import { createUser } from "@redflag/api/services/users/create-user.ts";
import type { ScanItem } from "@redflag/contracts";
import { createDatabase, type DatabaseHandle, locateMigrationsFolder } from "@redflag/db";
import postgres from "postgres";
import superjson from "superjson";
import { aptItem, hostFacts } from "../test/harness/fixtures.ts";
import { apiClient, rawCall } from "../test/harness/server.ts";

const settings = {
  rounds: Number(process.env.BENCH_ROUNDS ?? 7),
  postgresUrl: process.env.REDFLAG_TEST_POSTGRES_URL || null,
};
const sizes = [500, 5000];

const cleanups: (() => Promise<void> | void)[] = [];
async function openDatabase(): Promise<DatabaseHandle> {
  if (!settings.postgresUrl) {
    const directory = mkdtempSync(join(tmpdir(), "redflag-bench-"));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    return createDatabase({ driver: "pglite", dataDir: join(directory, "data") });
  }
  const name = `redflag_bench_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(settings.postgresUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  cleanups.push(async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
  const url = new URL(settings.postgresUrl);
  url.pathname = `/${name}`;
  return createDatabase({ driver: "postgres", url: url.toString() });
}

const handle = await openDatabase();
const api = await startApiServer({
  database: handle,
  config: {
    version: "0.0.0-bench",
    secret: "benchmark-secret-benchmark-secret-0123456789",
    debug: false,
    maxBodyBytes: 20 * 1024 * 1024,
    migrationsFolder: locateMigrationsFolder(import.meta.dir),
    rateLimits: { ...defaultRateLimits, registerPerAddress: { limit: 10_000, windowSeconds: 60 } },
    trustProxy: false,
  },
  leaseSweepIntervalMs: 0,
});
const handler = createTrpcHandler(api, { onInternalError: (error) => console.error(error) });
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: (request, bunServer) => {
    const headers = new Headers(request.headers);
    headers.set("x-forwarded-for", bunServer.requestIP(request)?.address ?? "127.0.0.1");
    return handler(new Request(request, { headers }));
  },
});
const url = `http://127.0.0.1:${server.port}`;

const password = "benchmark admin password";
await createUser(api.db, { actor: { type: "system" }, username: "bench", password, role: "admin" });
const login = await rawCall(url, "auth.login", {
  type: "mutation",
  input: { username: "bench", password },
});
const cookie = login.headers.get("set-cookie")?.split(";")[0];
if (!cookie) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
const admin = apiClient(url, { cookie });

/** A fresh agent for each run, so no run meets another's rows or the per-agent report limit. */
async function newAgent(): Promise<string> {
  const registration = await admin.registrationTokens.create.mutate({ label: "bench", seats: 1 });
  const registered = await apiClient(url).agent.register.mutate({
    registrationToken: registration.token,
    host: hostFacts(),
  });
  return registered.accessToken;
}

function items(count: number, version = "1.0-2"): ScanItem[] {
  return Array.from({ length: count }, (_, index) =>
    aptItem(`package-${String(index).padStart(6, "0")}`, {
      availableVersion: version,
      cves: index % 10 === 0 ? [`CVE-2026-${10000 + index}`] : [],
      security: index % 10 === 0,
      metadata: { architecture: "amd64" },
    }),
  );
}

/** The request body as an agent sends it, serialized before the clock starts. */
function body(list: ScanItem[]): string {
  const now = new Date();
  return JSON.stringify(
    superjson.serialize({
      scanners: [{ packageType: "apt", status: "ok", items: list }],
      startedAt: now,
      finishedAt: now,
    }),
  );
}

async function report(token: string, payload: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/api/trpc/agent.reportScan`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: payload,
  });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`reportScan answered ${response.status}: ${text.slice(0, 300)}`);
  return performance.now() - started;
}

/** The next report of the same host: a tenth upgraded, a tenth gone, a tenth new. */
function nextScan(count: number): ScanItem[] {
  const list = items(count);
  const tenth = Math.max(1, Math.floor(count / 10));
  return [
    ...list.slice(tenth, count - tenth),
    ...list.slice(count - tenth).map((item) => ({ ...item, availableVersion: "1.0-3" })),
    ...items(count + tenth).slice(count),
  ];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const format = (values: number[]) =>
  `p50 ${median(values).toFixed(0)} ms, max ${Math.max(...values).toFixed(0)} ms`;

try {
  console.log(
    `database: ${settings.postgresUrl ? "PostgreSQL" : "embedded PGlite (on disk)"}, rounds: ${settings.rounds}`,
  );
  await report(await newAgent(), body(items(500))); // warm-up: JIT, query plans
  for (const size of sizes) {
    const first = body(items(size));
    const next = body(nextScan(size));
    const timings = { first: [] as number[], same: [] as number[], next: [] as number[] };
    for (let round = 0; round < settings.rounds; round++) {
      const token = await newAgent();
      timings.first.push(await report(token, first));
      timings.same.push(await report(token, first));
      timings.next.push(await report(token, next));
    }
    console.log(`${size} items: first report ${format(timings.first)}`);
    console.log(`${size} items: same report again ${format(timings.same)}`);
    console.log(`${size} items: 10% upgraded, 10% gone, 10% new ${format(timings.next)}`);
  }

  const latencies: number[] = [];
  const payload = body(items(5000));
  for (let round = 0; round < settings.rounds; round++) {
    const token = await newAgent();
    let done = false;
    const reporting = report(token, payload).finally(() => {
      done = true;
    });
    while (!done) {
      const started = performance.now();
      await admin.agents.list.query({});
      latencies.push(performance.now() - started);
    }
    await reporting;
  }
  console.log(
    `admin agents.list during a 5000-item first report: ${latencies.length} calls, ${format(latencies)}`,
  );
  console.log(
    "targets: 500 items p50 <= 100 ms; 5000 items <= 1 s on PGlite; admin call during a report <= 200 ms",
  );
} finally {
  await server.stop(true);
  await api.stop();
  await handle.close();
  for (const cleanup of cleanups.reverse()) await cleanup();
}
