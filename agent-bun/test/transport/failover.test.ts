import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newId } from "@redflag/contracts";
import superjson from "superjson";
import { parseServerUrls } from "../../src/cli/registration.ts";
import {
  loadConfig,
  requireRegistration,
  saveConfig,
  serverUrlFields,
  serverUrlsOf,
} from "../../src/config/config.ts";
import { loadDaemonState, saveDaemonState } from "../../src/daemon/state.ts";
import { readEnvironment } from "../../src/environment.ts";
import { ExitError, exitCodes } from "../../src/errors.ts";
import { AgentConnection } from "../../src/transport/client.ts";
import { describeServer, ServerRotation } from "../../src/transport/failover.ts";

const temporary = mkdtempSync(join(tmpdir(), "redflag-failover-"));
const closers: (() => void)[] = [];
afterAll(() => {
  for (const close of closers) close();
  rmSync(temporary, { recursive: true, force: true });
});

describe("the order servers are tried in", () => {
  const urls = ["http://a.test", "http://b.test", "http://c.test"];

  test("the first, then the next while each is away, around the list", () => {
    const rotation = new ServerRotation(urls, 60_000);
    expect(rotation.current).toBe("http://a.test");
    expect(rotation.order()).toEqual(urls);
    expect(rotation.markAway("http://a.test", "refused")).toEqual({
      from: "http://a.test",
      to: "http://b.test",
      reason: "http://a.test is away: refused",
    });
    expect(rotation.order()).toEqual(["http://b.test", "http://c.test", "http://a.test"]);
    // A failure of a server that is not the current one (an older call's) moves nothing.
    expect(rotation.markAway("http://a.test", "refused")).toBeNull();
    rotation.markAway("http://b.test", "reset");
    rotation.markAway("http://c.test", "timeout");
    expect(rotation.current).toBe("http://a.test");
    expect(new ServerRotation(["http://a.test"], 60_000).markAway("http://a.test", "refused")).toBeNull();
  });

  test("the first is asked again only after the probe period, and taken back when it answers", () => {
    let now = 1_000_000;
    const rotation = new ServerRotation(urls, 120_000, () => now);
    expect(rotation.probeDue()).toBe(false);
    rotation.markAway("http://a.test", "refused");
    expect(rotation.probeDue()).toBe(false);
    now += 119_000;
    expect(rotation.probeDue()).toBe(false);
    now += 1_000;
    expect(rotation.probeDue()).toBe(true);
    rotation.probed();
    expect(rotation.probeDue()).toBe(false);
    now += 120_000;
    expect(rotation.probeDue()).toBe(true);
    expect(rotation.markAnswered("http://a.test")?.reason).toBe(
      "the first server, http://a.test, answers again",
    );
    expect(rotation.status()).toMatchObject({ serverUrl: "http://a.test", index: 0, count: 3 });
    expect(rotation.probeDue()).toBe(false);
  });

  test("--status says which server and why", () => {
    const rotation = new ServerRotation(urls.slice(0, 2), 60_000, () => Date.parse("2026-12-01T12:00:00Z"));
    expect(describeServer(null, ["http://a.test"])).toBe("http://a.test");
    expect(describeServer(rotation.status(), ["http://a.test"])).toBe("http://a.test");
    rotation.markAway("http://a.test", "connection refused");
    expect(describeServer(rotation.status(), urls.slice(0, 2))).toBe(
      "http://b.test, server 2 of 2 since 2026-12-01T12:00:00.000Z: http://a.test is away: connection refused; all: http://a.test, http://b.test",
    );
    const path = join(temporary, "daemon-state.json");
    saveDaemonState(path, { ...loadDaemonState(path), server: rotation.status() });
    expect(loadDaemonState(path).server).toEqual(rotation.status());
  });
});

/** A stand-in for the server's API: tRPC's wire format, answers chosen per test. */
type Answer = { status: number; body: unknown } | "reset";
type FakeServer = { url: string; calls: string[]; stop: () => void };

function trpcResult(value: unknown): Answer {
  return { status: 200, body: { result: { data: superjson.serialize(value) } } };
}
function trpcError(code: string, httpStatus: number): Answer {
  return {
    status: httpStatus,
    body: { error: superjson.serialize({ message: code, code: -32000, data: { code, httpStatus } }) },
  };
}

function fakeServer(
  answer: (procedure: string) => Answer | Promise<Answer>,
  health: () => number = () => 200,
): FakeServer {
  const calls: string[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === "/api/health") {
        calls.push("health");
        const status = health();
        return Response.json({ status: status === 200 ? "ok" : "unavailable" }, { status });
      }
      const procedure = path.replace("/api/trpc/", "");
      calls.push(procedure);
      const chosen = await answer(procedure);
      if (chosen === "reset") {
        server.stop(true);
        return new Promise<Response>(() => {});
      }
      // A string is a proxy's error page, anything else the API's JSON.
      if (typeof chosen.body === "string")
        return new Response(chosen.body, { status: chosen.status, headers: { "content-type": "text/html" } });
      return Response.json(chosen.body, { status: chosen.status });
    },
  });
  const stop = () => server.stop(true);
  closers.push(stop);
  return { url: `http://127.0.0.1:${server.port}`, calls, stop };
}

/** A port nothing listens on: connections are refused. */
async function refusedUrl(): Promise<string> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

function configFor(urls: string[], options: { expiresInMs?: number; probeSeconds?: number } = {}) {
  const path = join(mkdtempSync(join(temporary, "agent-")), "config.json");
  const expires = new Date(Date.now() + (options.expiresInMs ?? 86_400_000));
  writeFileSync(
    path,
    JSON.stringify({
      ...serverUrlFields(urls),
      serverProbeSeconds: options.probeSeconds ?? 120,
      registration: {
        agentId: newId("agent"),
        accessToken: "a".repeat(40),
        accessTokenExpiresAt: expires,
        refreshToken: "r".repeat(40),
        refreshTokenExpiresAt: new Date(Date.now() + 86_400_000),
        registeredAt: new Date(),
      },
    }),
  );
  return requireRegistration(loadConfig({ ...readEnvironment({}), configPath: path }));
}

const checkIn = (connection: AgentConnection) =>
  connection.call("the check-in", (agent) => agent.checkIn.mutate({ agentVersion: "1.0.0" }));

async function failureOf(promise: Promise<unknown>): Promise<ExitError> {
  const error = await promise.then(
    () => new Error("the call succeeded"),
    (caught: unknown) => caught,
  );
  if (!(error instanceof ExitError)) throw new Error(`not an ExitError: ${String(error)}`);
  return error;
}

describe("which failures move the agent to the next server", () => {
  const answering = (name: string) => fakeServer(() => trpcResult({ server: name }));

  test("a refused connection: the call is answered by the next server, which is kept", async () => {
    const first = await refusedUrl();
    const second = answering("second");
    const connection = new AgentConnection(configFor([first, second.url]));
    expect(await checkIn(connection)).toEqual({ server: "second" } as never);
    expect(connection.serverStatus()).toMatchObject({ serverUrl: second.url, index: 1 });
    expect(connection.serverStatus().reason).toStartWith(`${first} is away: `);
    await checkIn(connection);
    expect(second.calls).toEqual(["agent.checkIn", "agent.checkIn"]);
  });

  test("a proxy's 502, 503 or 504 in front of the first server", async () => {
    for (const status of [502, 503, 504]) {
      const gateway = Bun.serve({
        port: 0,
        hostname: "127.0.0.1",
        fetch: () =>
          new Response("<html>upstream down</html>", { status, headers: { "content-type": "text/html" } }),
      });
      closers.push(() => gateway.stop(true));
      const second = answering("second");
      const connection = new AgentConnection(configFor([`http://127.0.0.1:${gateway.port}`, second.url]));
      expect(await checkIn(connection)).toEqual({ server: "second" } as never);
      expect(connection.serverStatus().reason).toContain(`a gateway error (HTTP ${status})`);
    }
  });

  test("a long poll cut because its server died goes to the next server", async () => {
    const first = fakeServer(() => "reset");
    const second = answering("second");
    const connection = new AgentConnection(configFor([first.url, second.url]));
    const answer = await connection.call(
      "the check-in (long poll)",
      (agent) => agent.checkIn.mutate({ agentVersion: "1.0.0", waitSeconds: 50 }),
      { timeoutMs: 65_000 },
    );
    expect(answer).toEqual({ server: "second" } as never);
    expect(first.calls).toEqual(["agent.checkIn"]);
    expect(connection.serverUrl).toBe(second.url);
  });

  test("an UNAUTHORIZED answer from a live server does not switch: the token is renewed there", async () => {
    // The check-in refused, and the renewal too: the agent's credentials are gone on this deployment.
    const first = fakeServer(() => trpcError("UNAUTHORIZED", 401));
    const second = answering("second");
    const connection = new AgentConnection(configFor([first.url, second.url]));
    const error = await failureOf(checkIn(connection));
    expect(error.exitCode).toBe(exitCodes.badToken);
    expect(error.retryable).toBe(false);
    expect(first.calls).toEqual(["agent.checkIn", "agent.renew"]);
    expect(second.calls).toEqual([]);
    expect(connection.serverUrl).toBe(first.url);
  });

  test("the API's own errors (a 4xx, a 500, its 503) do not switch", async () => {
    for (const [code, status] of [
      ["BAD_REQUEST", 400],
      ["NOT_FOUND", 404],
      ["INTERNAL_SERVER_ERROR", 500],
      ["SERVICE_UNAVAILABLE", 503],
    ] as const) {
      const first = fakeServer(() => trpcError(code, status));
      const second = answering("second");
      const connection = new AgentConnection(configFor([first.url, second.url]));
      await failureOf(checkIn(connection));
      expect(second.calls).toEqual([]);
      expect(connection.serverUrl).toBe(first.url);
    }
  });

  test("a call the agent itself stops (the daemon stopping) does not switch", async () => {
    const first = fakeServer(() => new Promise<Answer>(() => {}));
    const second = answering("second");
    const connection = new AgentConnection(configFor([first.url, second.url]));
    const controller = new AbortController();
    const call = connection.call(
      "the check-in",
      (agent) => agent.checkIn.mutate({ agentVersion: "1.0.0" }, { signal: controller.signal }),
      { signal: controller.signal },
    );
    // Stopped once the first server has the request.
    while (first.calls.length === 0) await Bun.sleep(10);
    controller.abort();
    await failureOf(call);
    expect(second.calls).toEqual([]);
    expect(connection.serverUrl).toBe(first.url);
  });

  test("every server away: one retryable error naming each, so the daemon backs off before the next round", async () => {
    const first = await refusedUrl();
    const second = await refusedUrl();
    const connection = new AgentConnection(configFor([first, second]));
    const error = await failureOf(checkIn(connection));
    expect(error.retryable).toBe(true);
    expect(error.exitCode).toBe(exitCodes.serverUnreachable);
    expect(error.message).toContain(`${first}: `);
    expect(error.message).toContain(`${second}: `);
  });
});

describe("returning to the first server and renewing across servers", () => {
  test("on the second, the first is probed after the probe period and taken back once it answers", async () => {
    let firstUp = false;
    const first = fakeServer(() =>
      firstUp ? trpcResult({ server: "first" }) : { status: 504, body: "<html>gateway timeout</html>" },
    );
    const second = fakeServer(() => trpcResult({ server: "second" }));
    let now = Date.now();
    const probes: string[] = [];
    const connection = new AgentConnection(configFor([first.url, second.url], { probeSeconds: 60 }), {
      now: () => now,
      probe: async (url) => {
        probes.push(url);
        return firstUp;
      },
    });
    expect(await checkIn(connection)).toEqual({ server: "second" } as never);
    now += 30_000;
    expect(await checkIn(connection)).toEqual({ server: "second" } as never);
    expect(probes).toEqual([]);
    now += 30_000;
    expect(await checkIn(connection)).toEqual({ server: "second" } as never);
    expect(probes).toEqual([first.url]);
    firstUp = true;
    now += 30_000;
    expect(await checkIn(connection)).toEqual({ server: "second" } as never);
    expect(probes).toHaveLength(1);
    now += 30_000;
    expect(await checkIn(connection)).toEqual({ server: "first" } as never);
    expect(connection.serverStatus()).toMatchObject({
      serverUrl: first.url,
      index: 0,
      reason: `the first server, ${first.url}, answers again`,
    });
  });

  test("the real probe asks the first server's health check", async () => {
    let firstAway = true;
    const first = fakeServer(
      () => (firstAway ? { status: 502, body: "<html>bad gateway</html>" } : trpcResult({ server: "first" })),
      () => (firstAway ? 503 : 200),
    );
    const second = fakeServer(() => trpcResult({ server: "second" }));
    let now = Date.now();
    const connection = new AgentConnection(configFor([first.url, second.url], { probeSeconds: 5 }), {
      now: () => now,
    });
    expect(await checkIn(connection)).toEqual({ server: "second" } as never);
    now += 5_000;
    expect(await checkIn(connection)).toEqual({ server: "second" } as never);
    expect(first.calls).toEqual(["agent.checkIn", "health"]);
    firstAway = false;
    now += 5_000;
    expect(await checkIn(connection)).toEqual({ server: "first" } as never);
    expect(first.calls).toEqual(["agent.checkIn", "health", "health", "agent.checkIn"]);
  });

  test("a token renewal goes to the server that answers, and the rotated tokens are saved", async () => {
    const first = await refusedUrl();
    const second = fakeServer((procedure) =>
      procedure === "agent.renew"
        ? trpcResult({
            accessToken: "n".repeat(40),
            accessTokenExpiresAt: new Date(Date.now() + 3_600_000),
            refreshToken: "m".repeat(40),
            refreshTokenExpiresAt: new Date(Date.now() + 86_400_000),
          })
        : trpcResult({ server: "second" }),
    );
    const config = configFor([first, second.url], { expiresInMs: 60_000 });
    const connection = new AgentConnection(config);
    expect(await checkIn(connection)).toEqual({ server: "second" } as never);
    expect(second.calls).toEqual(["agent.renew", "agent.checkIn"]);
    const saved = JSON.parse(readFileSync(config.path, "utf8"));
    expect(saved.registration.refreshToken).toBe("m".repeat(40));
    expect(saved.serverUrls).toEqual([first, second.url]);
  });
});

describe("the server URLs in the config and on the command line", () => {
  function load(value: unknown) {
    const path = join(mkdtempSync(join(temporary, "config-")), "config.json");
    writeFileSync(path, JSON.stringify(value));
    return loadConfig({ ...readEnvironment({}), configPath: path });
  }

  test("an old config with serverUrl only keeps working, and is written back in its shape", () => {
    const config = load({ serverUrl: "https://redflag.example/" });
    expect(serverUrlsOf(config.file)).toEqual(["https://redflag.example"]);
    saveConfig(config, { ...config.file, pollIntervalSeconds: 60 });
    const written = JSON.parse(readFileSync(config.path, "utf8"));
    expect(written.serverUrl).toBe("https://redflag.example");
    expect(written.serverUrls).toBeUndefined();
  });

  test("several URLs: serverUrls, with serverUrl its first; saving keeps both", () => {
    const urls = ["https://one.example", "https://two.example"];
    const config = load(serverUrlFields(urls));
    expect(serverUrlsOf(config.file)).toEqual(urls);
    saveConfig(config, { ...config.file, pollIntervalSeconds: 60 });
    const written = JSON.parse(readFileSync(config.path, "utf8"));
    expect(written).toMatchObject({ serverUrl: urls[0], serverUrls: urls });
    expect(serverUrlsOf(load({ serverUrls: urls }).file)).toEqual(urls);
    // Back to one URL: the list goes, the old shape stays.
    saveConfig(config, { ...config.file, ...serverUrlFields(["https://one.example"]) });
    expect(JSON.parse(readFileSync(config.path, "utf8")).serverUrls).toBeUndefined();
  });

  test("refused: duplicates, more than 8, a bad URL, a serverUrl that is not the list's first", () => {
    const invalid = (value: unknown) =>
      expect(() => load(value)).toThrow(expect.objectContaining({ exitCode: exitCodes.usage }));
    invalid({ serverUrls: ["https://one.example", "https://one.example/"] });
    invalid({ serverUrls: Array.from({ length: 9 }, (_, index) => `https://s${index}.example`) });
    invalid({ serverUrls: ["ftp://one.example"] });
    invalid({ serverUrls: [] });
    invalid({ serverUrl: "https://two.example", serverUrls: ["https://one.example", "https://two.example"] });
  });

  test("--server repeated or as a comma list", () => {
    expect(parseServerUrls(["http://a.test", "http://b.test/"])).toEqual({
      urls: ["http://a.test", "http://b.test"],
    });
    expect(parseServerUrls(["http://a.test, http://b.test"])).toEqual({
      urls: ["http://a.test", "http://b.test"],
    });
    expect(parseServerUrls(["http://a.test,http://a.test"])).toEqual({
      problem: "A server URL is given twice: http://a.test, http://a.test",
    });
    expect(parseServerUrls(["http://a.test,ftp://b.test"])).toEqual({
      problem: 'Invalid server URL "ftp://b.test": must be http:// or https://',
    });
    expect(
      parseServerUrls([Array.from({ length: 9 }, (_, index) => `http://s${index}.test`).join(",")]),
    ).toEqual({ problem: "At most 8 server URLs, not 9" });
  });
});
