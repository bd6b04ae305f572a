import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  type ApiServer,
  createTrpcHandler,
  defaultRateLimits,
  startApiServer,
  unavailableCause,
} from "@redflag/api";
import { createDatabase, type DatabaseHandle } from "@redflag/db";
import superjson from "superjson";
import { migrationsFolder } from "./harness/database.ts";
import { registerAgent, signIn } from "./harness/fixtures.ts";
import { type PostgresCluster, startPostgresCluster } from "./harness/postgres-cluster.ts";
import { type TestServer, testSecret } from "./harness/server.ts";

// The server on a PostgreSQL cluster of the test's own, which is restarted without a checkpoint
// (`pg_ctl restart -m immediate`, what a crash looks like) and stopped for a few seconds while
// agents and an admin keep calling. While it is down every answer is a 503 with Retry-After, none
// waits long, and once it is back requests succeed again at once: no pooled connection that died
// with the old server, and no reconnect held back by the driver's backoff.

/**
 * No request may take longer than this while the database goes away and comes back (a generous bound:
 * measured here, the longest answer is about the driver's connect timeout of 3 s, reached by connection
 * attempts made while PostgreSQL itself was starting; most 503s take well under 2 s).
 */
const longestAnswerMs = 10_000;
/** How soon after the database accepts connections again requests must succeed (a generous bound). */
const recoveryBoundMs = 10_000;

let cluster: PostgresCluster;
let handle: DatabaseHandle;
let api: ApiServer;
let server: TestServer;
let http: ReturnType<typeof Bun.serve>;
const unexpectedFailures: unknown[] = [];
const unavailableCauses = new Set<string>();

/** A database failure nobody awaited would end a real server's process: each is a failure here. */
function recordUnhandled(error: unknown) {
  unexpectedFailures.push(error);
}

beforeAll(async () => {
  process.on("unhandledRejection", recordUnhandled);
  cluster = await startPostgresCluster();
  // The driver as production configures it (createDatabase's pool size and timings).
  handle = await createDatabase({ driver: "postgres", url: cluster.url });
  api = await startApiServer({
    database: handle,
    config: {
      version: "0.0.0-test",
      secret: testSecret,
      debug: false,
      maxBodyBytes: 5 * 1024 * 1024,
      migrationsFolder,
      rateLimits: defaultRateLimits,
      trustProxy: false,
      agentsDirectory: null,
    },
    leaseSweepIntervalMs: 0,
  });
  const handler = createTrpcHandler(api, {
    // A 503 is logged as a failure too; anything else logged here is what the test is about.
    onInternalError: (error) => {
      if (error instanceof Error && "code" in error && error.code === "SERVICE_UNAVAILABLE") {
        // What the server log's line for it says (http.ts): the driver's or PostgreSQL's code and message.
        unavailableCauses.add(unavailableCause(error).replace(/:\d+/g, ":PORT"));
      } else {
        unexpectedFailures.push(error);
      }
    },
  });
  // Bun's own limit (10 s by default) raised, so a slow answer is measured rather than cut off.
  http = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 120,
    fetch: (request) => handler(request),
  });
  server = {
    url: `http://127.0.0.1:${http.port}`,
    api,
    database: { handle, url: cluster.url, name: "postgres", cleanup: () => handle.close() },
    stop: async () => {},
  };
}, 60_000);

afterAll(async () => {
  process.off("unhandledRejection", recordUnhandled);
  await http?.stop(true);
  await api?.stop();
  await handle?.close().catch(() => {});
  await cluster?.destroy();
});

type Answer = { startedAt: number; endedAt: number; status: number; retryAfter: string | null; what: string };

/** Calls the API over HTTP as an agent (check-in) and an admin (a list and the health check) do. */
function callers(agentToken: string, adminCookie: string): { what: string; call: () => Promise<Response> }[] {
  const checkIn = JSON.stringify(
    superjson.serialize({ agentVersion: "0.1.0", metrics: {}, rebootRequired: false }),
  );
  const listInput = encodeURIComponent(JSON.stringify(superjson.serialize({})));
  return [
    {
      what: "agent.checkIn",
      call: () =>
        fetch(`${server.url}/api/trpc/agent.checkIn`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${agentToken}` },
          body: checkIn,
        }),
    },
    {
      what: "commands.list",
      call: () =>
        fetch(`${server.url}/api/trpc/commands.list?input=${listInput}`, {
          headers: { cookie: adminCookie },
        }),
    },
    {
      what: "health.get",
      call: () =>
        fetch(`${server.url}/api/trpc/health.get?input=${listInput}`, { headers: { cookie: adminCookie } }),
    },
  ];
}

/** `workers` loops calling the API until `stop`; every answer is recorded. */
function keepCalling(agentToken: string, adminCookie: string, workers: number) {
  const answers: Answer[] = [];
  const kinds = callers(agentToken, adminCookie);
  let stopped = false;
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let round = 0; !stopped; round++) {
      const kind = kinds[(worker + round) % kinds.length] as (typeof kinds)[number];
      const startedAt = performance.now();
      const response = await kind.call();
      await response.arrayBuffer();
      answers.push({
        startedAt,
        endedAt: performance.now(),
        status: response.status,
        retryAfter: response.headers.get("retry-after"),
        what: kind.what,
      });
    }
  });
  return {
    answers,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** Waits (by the answers coming in, not by the clock) until `check` holds for them. */
async function until(answers: Answer[], what: string, check: (answers: Answer[]) => boolean) {
  const deadline = performance.now() + 60_000;
  while (!check(answers)) {
    if (performance.now() > deadline) throw new Error(`never saw ${what}`);
    await Bun.sleep(20);
  }
}

function summary(answers: Answer[]) {
  const byStatus: Record<number, number> = {};
  for (const answer of answers) byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
  const longest = Math.max(...answers.map((answer) => answer.endedAt - answer.startedAt));
  return { total: answers.length, byStatus, longestMs: Math.round(longest) };
}

function expectOnlySuccessOrUnavailable(answers: Answer[]) {
  const others = answers.filter((answer) => answer.status !== 200 && answer.status !== 503);
  expect(others).toEqual([]);
  const withoutRetryAfter = answers.filter((answer) => answer.status === 503 && answer.retryAfter !== "5");
  expect(withoutRetryAfter).toEqual([]);
  expect(summary(answers).longestMs).toBeLessThan(longestAnswerMs);
}

/** From `backAt` (the database accepts connections again) to the end of the first success started since. */
function recoveryMs(answers: Answer[], backAt: number): number {
  const first = answers
    .filter((answer) => answer.startedAt >= backAt && answer.status === 200)
    .sort((a, b) => a.endedAt - b.endedAt)[0];
  if (!first) throw new Error("no success after the database came back");
  return first.endedAt - backAt;
}

describe("the database restarts or stops under load", () => {
  test("an immediate restart: only 503s with Retry-After meanwhile, none slow, and success right after", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const load = keepCalling(agent.accessToken, admin.cookie, 24);
    try {
      await until(
        load.answers,
        "the first successes",
        (answers) => answers.filter((a) => a.status === 200).length > 50,
      );
      const restartAt = performance.now();
      await cluster.restart("immediate");
      const backAt = performance.now();
      await until(
        load.answers,
        "100 successes after the restart",
        (answers) => answers.filter((a) => a.startedAt > backAt && a.status === 200).length >= 100,
      );
      await load.stop();
      const during = load.answers.filter((answer) => answer.endedAt >= restartAt);
      expectOnlySuccessOrUnavailable(during);
      const recovered = recoveryMs(load.answers, backAt);
      expect(recovered).toBeLessThan(recoveryBoundMs);
      // After the first success the pool is whole again: no answer started later fails.
      const firstSuccess = backAt + recovered;
      expect(load.answers.filter((a) => a.startedAt > firstSuccess && a.status !== 200)).toEqual([]);
      console.log(
        `immediate restart: ${JSON.stringify(summary(during))}, restart took ${Math.round(backAt - restartAt)} ms, first success ${Math.round(recovered)} ms after the database was back`,
      );
    } finally {
      await load.stop();
    }
    expect(unexpectedFailures).toEqual([]);
  }, 120_000);

  test("a stop of a few seconds: every request answers 503 with Retry-After quickly; success once it starts again", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const load = keepCalling(agent.accessToken, admin.cookie, 24);
    try {
      await until(
        load.answers,
        "the first successes",
        (answers) => answers.filter((a) => a.status === 200).length > 50,
      );
      await cluster.stop("immediate");
      const downAt = performance.now();
      // Down for as long as 200 requests take to be refused (a few seconds at most, as the bound says).
      await until(
        load.answers,
        "200 answers while down",
        (answers) => answers.filter((a) => a.startedAt > downAt).length >= 200,
      );
      // The health check the load balancer's /api/health makes: it fails, and fast.
      const pingStarted = performance.now();
      await expect(api.ping()).rejects.toThrow();
      const pingMs = performance.now() - pingStarted;
      expect(pingMs).toBeLessThan(longestAnswerMs);
      const whileDown = load.answers.filter((answer) => answer.startedAt > downAt);
      expect(whileDown.filter((answer) => answer.status !== 503)).toEqual([]);
      const startAt = performance.now();
      await cluster.start();
      const backAt = performance.now();
      await until(
        load.answers,
        "100 successes after the start",
        (answers) => answers.filter((a) => a.startedAt > backAt && a.status === 200).length >= 100,
      );
      await load.stop();
      expectOnlySuccessOrUnavailable(load.answers.filter((answer) => answer.endedAt >= downAt));
      const recovered = recoveryMs(load.answers, backAt);
      expect(recovered).toBeLessThan(recoveryBoundMs);
      const firstSuccess = backAt + recovered;
      expect(load.answers.filter((a) => a.startedAt > firstSuccess && a.status !== 200)).toEqual([]);
      expect(await api.ping()).toBeGreaterThanOrEqual(0);
      console.log(
        `stopped: ${JSON.stringify(summary(whileDown))} while down (ping failed in ${Math.round(pingMs)} ms), start took ${Math.round(backAt - startAt)} ms, first success ${Math.round(recovered)} ms after the database was back`,
      );
    } finally {
      await load.stop();
    }
    expect(unexpectedFailures).toEqual([]);
  }, 120_000);

  test("after a restart with no request in between, the first request succeeds: no dead pooled connection is used", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const load = keepCalling(agent.accessToken, admin.cookie, 12);
    // Every pooled connection opened and then idle.
    await until(
      load.answers,
      "the pool in use",
      (answers) => answers.filter((a) => a.status === 200).length > 50,
    );
    await load.stop();
    await cluster.restart("immediate");
    const [checkIn, list, health] = callers(agent.accessToken, admin.cookie);
    for (let round = 0; round < 5; round++) {
      for (const caller of [checkIn, list, health]) {
        const response = await caller?.call();
        expect({ what: caller?.what, status: response?.status }).toEqual({ what: caller?.what, status: 200 });
      }
    }
    expect(unexpectedFailures).toEqual([]);
  }, 120_000);

  test("each 503 was logged as one line naming a connection failure's code", () => {
    console.log(`503s were caused by: ${[...unavailableCauses].sort().join(" | ")}`);
    expect(unavailableCauses.size).toBeGreaterThan(0);
    for (const cause of unavailableCauses) {
      expect(cause).toMatch(
        /^(ECONNREFUSED|ECONNRESET|EPIPE|CONNECTION_CLOSED|CONNECTION_ENDED|CONNECT_TIMEOUT|57P0[1-3]|53300): /,
      );
    }
  });
});
