import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTrpcHandler, startApiServer } from "@redflag/api";
import { createDatabase, scans, updates } from "@redflag/db";
import { count, sql } from "drizzle-orm";
import superjson from "superjson";
import { createTestDatabase } from "./harness/database.ts";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import {
  apiClient,
  rawCall,
  serverStartTimeout,
  startTestServer,
  type TestServer,
} from "./harness/server.ts";

let server: TestServer;
let agent: Awaited<ReturnType<typeof registerAgent>>;
beforeAll(async () => {
  server = await startTestServer({ maxBodyBytes: 5 * 1024 * 1024 });
  agent = await registerAgent(server, await signIn(server, "operator"));
}, serverStartTimeout);
afterAll(async () => {
  await server.stop();
});

const agentHeaders = () => ({ authorization: `Bearer ${agent.accessToken}` });

async function rowCounts() {
  const [updateCount] = await server.api.db.select({ total: count() }).from(updates);
  const [scanCount] = await server.api.db.select({ total: count() }).from(scans);
  return { updates: updateCount?.total, scans: scanCount?.total };
}

type ErrorBody = {
  error: { json: { message: string; data: { code: string; fields: { path: string }[] | null } } };
};

describe("bad input is refused with the field that is wrong, and changes nothing", () => {
  test("a wrong type names the field", async () => {
    const before = await rowCounts();
    const report = scanReport([aptItem("bash"), aptItem("curl", { availableVersion: "" })]);
    const response = await rawCall(server.url, "agent.reportScan", {
      type: "mutation",
      input: report,
      headers: agentHeaders(),
    });
    expect(response.status).toBe(400);
    const body = response.body as ErrorBody;
    expect(body.error.json.data.code).toBe("BAD_REQUEST");
    expect(body.error.json.data.fields?.map((field) => field.path)).toEqual([
      "scanners.0.items.1.availableVersion",
    ]);
    expect(body.error.json.message).toContain("scanners.0.items.1.availableVersion");
    expect(await rowCounts()).toEqual(before);
  });

  test("malformed JSON, control characters, NUL bytes and bad CVE ids are refused", async () => {
    const before = await rowCounts();
    const broken = await rawCall(server.url, "agent.reportScan", {
      type: "mutation",
      body: "{not json",
      headers: agentHeaders(),
    });
    expect(broken.status).toBe(400);
    for (const item of [
      aptItem("bad\u0007name"),
      aptItem("bash", { metadata: { note: "nul\u0000byte" } }),
      aptItem("bash", { cves: ["CVE-bad"] }),
      aptItem("x".repeat(300)),
    ]) {
      const response = await rawCall(server.url, "agent.reportScan", {
        type: "mutation",
        input: scanReport([item]),
        headers: agentHeaders(),
      });
      expect(response.status).toBe(400);
    }
    const output = await rawCall(server.url, "agent.reportResult", {
      type: "mutation",
      input: {
        commandId: "cmd_00000000000000000000000000",
        status: "succeeded",
        exitCode: 0,
        output: "a\u0000b",
        startedAt: new Date(),
        finishedAt: new Date(),
      },
      headers: agentHeaders(),
    });
    expect(output.status).toBe(400);
    expect(await rowCounts()).toEqual(before);
  });

  test("an id of the wrong kind is refused", async () => {
    const admin = await signIn(server, "operator");
    const error = await admin.client.updates.approve
      .mutate({ updateIds: [agent.agentId] })
      .catch((cause) => cause);
    expect(error.data.code).toBe("BAD_REQUEST");
    expect(error.message).toContain("updateIds.0");
  });

  test("a body over the limit answers 413 and nothing is written", async () => {
    const before = await rowCounts();
    const big = Array.from({ length: 9000 }, (_, index) =>
      aptItem(`package-${index}`, { metadata: { padding: "p".repeat(600) } }),
    );
    const body = JSON.stringify(superjson.serialize(scanReport(big)));
    expect(body.length).toBeGreaterThan(5 * 1024 * 1024);
    const response = await fetch(`${server.url}/api/trpc/agent.reportScan`, {
      method: "POST",
      headers: { "content-type": "application/json", ...agentHeaders() },
      body,
    });
    expect(response.status).toBe(413);
    const parsed = superjson.deserialize<{ message: string; data: { code: string } }>(
      ((await response.json()) as { error: Parameters<typeof superjson.deserialize>[0] }).error,
    );
    expect(parsed.data.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await rowCounts()).toEqual(before);
  });

  test("a body streamed without a length is cut off at the limit too", async () => {
    const before = await rowCounts();
    const chunk = new TextEncoder().encode("x".repeat(1024 * 1024));
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Endless: only the limit can stop the reading.
        pulled++;
        controller.enqueue(chunk);
      },
    });
    const handler = createTrpcHandler(server.api);
    const response = await handler(
      new Request(`${server.url}/api/trpc/agent.reportScan`, {
        method: "POST",
        headers: { "content-type": "application/json", ...agentHeaders() },
        body: stream,
      }),
    );
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(10);
    expect(await rowCounts()).toEqual(before);
  });

  test("a report just under the limit is accepted", async () => {
    const items = Array.from({ length: 2000 }, (_, index) => aptItem(`package-${index}`));
    const response = await rawCall(server.url, "agent.reportScan", {
      type: "mutation",
      input: scanReport(items),
      headers: agentHeaders(),
    });
    expect(response.status).toBe(200);
    expect((await rowCounts()).updates).toBe(2000);
  });
});

// ---- failures: never database text to a client; an unreachable database answers 503 ----------

/** What must never reach a client: SQL, table names, driver names, stack frames. */
const databaseText = /select|insert|audit_events|relation|postgres|pglite|failed query|\n\s+at\s/i;

function checkInRequest(url: string, accessToken: string): Request {
  return new Request(`${url}/api/trpc/agent.checkIn`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
    body: JSON.stringify(superjson.serialize({ agentVersion: "1", metrics: {}, rebootRequired: false })),
  });
}

async function expectUnavailable(response: Response): Promise<void> {
  const text = await response.text();
  expect({ status: response.status, retryAfter: response.headers.get("retry-after") }).toEqual({
    status: 503,
    retryAfter: "5",
  });
  expect(text).toContain("SERVICE_UNAVAILABLE");
  expect(text).not.toMatch(databaseText);
}

/** Every message of an error's cause chain, as the server log shows them. */
function causeChain(error: unknown): string {
  const messages: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) messages.push(current.message);
  return messages.join("\n");
}

function closedPort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

describe("a failure answers without database text", () => {
  test("an internal error answers a generic message naming the request; the log has the whole error", async () => {
    const broken = await startTestServer();
    try {
      const viewer = await signIn(broken, "viewer");
      await broken.api.db.execute(sql`drop table audit_events`);
      const logged: { error: unknown; requestId: string | null }[] = [];
      const handler = createTrpcHandler(broken.api, {
        onInternalError: (error, details) => logged.push({ error, requestId: details.requestId }),
      });
      const input = encodeURIComponent(JSON.stringify(superjson.serialize({})));
      const response = await handler(
        new Request(`${broken.url}/api/trpc/audit.list?input=${input}`, {
          headers: { cookie: viewer.cookie },
        }),
      );
      const text = await response.text();
      const requestId = response.headers.get("x-request-id");
      expect(response.status).toBe(500);
      expect(text).not.toMatch(databaseText);
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(text).toContain(`request ${requestId}`);
      expect(logged.map((entry) => entry.requestId)).toEqual([requestId]);
      expect(causeChain(logged[0]?.error)).toContain("audit_events");
    } finally {
      await broken.stop();
    }
  }, 60_000);

  test("a value the database refuses answers 400, not 500, even where no contract checks it", async () => {
    // auth.login's input is not one of the contracts: the database refuses the NUL, the answer says so.
    const response = await rawCall(server.url, "auth.login", {
      type: "mutation",
      input: { username: "nul\u0000user", password: "a password" },
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).not.toMatch(databaseText);
  }, 60_000);
});

describe("an unreachable database answers 503 with Retry-After", () => {
  test("agent.checkIn while nothing listens on the database's port", async () => {
    const unreachable = await createDatabase({
      driver: "postgres",
      url: `postgres://postgres@127.0.0.1:${closedPort()}/redflag`,
      maxConnections: 1,
    });
    try {
      const handler = createTrpcHandler(
        { ...server.api, db: unreachable.db, ping: unreachable.ping },
        { onInternalError: () => {} },
      );
      await expectUnavailable(await handler(checkInRequest(server.url, agent.accessToken)));
    } finally {
      await unreachable.close();
    }
  }, 60_000);

  test("agent.checkIn on a database handle that was closed (PGlite closed, or the pool ended)", async () => {
    const closed = await createTestDatabase();
    await closed.handle.close();
    try {
      const handler = createTrpcHandler(
        { ...server.api, db: closed.handle.db, ping: closed.handle.ping },
        { onInternalError: () => {} },
      );
      await expectUnavailable(await handler(checkInRequest(server.url, agent.accessToken)));
    } finally {
      await closed.cleanup().catch(() => {});
    }
  }, 60_000);

  const postgresBin =
    (existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql", { withFileTypes: true }) : [])
      .map((entry) => join("/usr/lib/postgresql", entry.name, "bin"))
      .find((bin) => existsSync(join(bin, "pg_ctl"))) ?? null;

  test.skipIf(postgresBin === null)(
    "agent.checkIn while PostgreSQL restarts answers 503, then 200 once it is back",
    async () => {
      const bin = postgresBin as string;
      const directory = mkdtempSync(join(tmpdir(), "redflag-restart-"));
      const isRoot = process.getuid?.() === 0;
      if (isRoot)
        chownSync(directory, Number(spawnSync("id", ["-u", "postgres"]).stdout.toString().trim()), 0);
      const asPostgres = (command: string) => {
        const result = isRoot
          ? spawnSync("su", ["postgres", "-s", "/bin/bash", "-c", command])
          : spawnSync("bash", ["-c", command]);
        if (result.status !== 0) throw new Error(`${command}: ${result.stderr?.toString()}`);
      };
      const port = closedPort();
      const data = join(directory, "data");
      const start = `${bin}/pg_ctl -D ${data} -l ${directory}/log -w start -o '-p ${port} -k ${directory} -c listen_addresses=127.0.0.1'`;
      const stop = `${bin}/pg_ctl -D ${data} -m fast -w stop`;
      let restarted: TestServer | null = null;
      try {
        asPostgres(`${bin}/initdb -D ${data} -A trust -U postgres >/dev/null`);
        asPostgres(start);
        const handle = await createDatabase({
          driver: "postgres",
          url: `postgres://postgres@127.0.0.1:${port}/postgres`,
          maxConnections: 2,
        });
        const api = await startApiServer({
          database: handle,
          config: server.api.config,
          leaseSweepIntervalMs: 0,
          // The scheduler's own queries would leave a second pooled connection to find dead after the
          // restart (the first request on it gets a 503 and the agent's retry succeeds); this checks
          // the check-in path alone.
          schedulerIntervalMs: 0,
        });
        const handler = createTrpcHandler(api, { onInternalError: () => {} });
        const http = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => handler(request) });
        const url = `http://127.0.0.1:${http.port}`;
        restarted = {
          url,
          api,
          database: { handle, url: null, name: "restart", cleanup: () => handle.close() },
          async stop() {
            await http.stop(true);
            await api.stop();
            await handle.close();
          },
        };
        const operator = await signIn(restarted, "operator");
        const registered = await registerAgent(restarted, operator);
        expect((await handler(checkInRequest(url, registered.accessToken))).status).toBe(200);

        asPostgres(stop);
        await expectUnavailable(await handler(checkInRequest(url, registered.accessToken)));

        asPostgres(start);
        expect((await handler(checkInRequest(url, registered.accessToken))).status).toBe(200);
        expect((await apiClient(url, { cookie: operator.cookie }).auth.me.query()).role).toBe("operator");
      } finally {
        await restarted?.stop().catch(() => {});
        try {
          asPostgres(`${bin}/pg_ctl -D ${data} -m immediate -w stop`);
        } catch {
          // Already stopped.
        }
        rmSync(directory, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
