import { beforeEach, describe, expect, test } from "bun:test";
import {
  configureServerLogging,
  createTrpcHandler,
  errorProperties,
  serverLogger,
  startApiServer,
} from "@redflag/api";
import { registerAgent, signIn } from "./harness/fixtures.ts";
import { rawCall, type TestServer, testSecret, useTestServer } from "./harness/server.ts";

// Every line the server writes in this file, as its JSON text.
const lines: string[] = [];
configureServerLogging({ format: "json", write: (line) => lines.push(line) });

type LogLine = {
  level: string;
  logger: string;
  message: string;
  properties: Record<string, unknown>;
};
const parsed = () => lines.map((line) => JSON.parse(line) as LogLine);
const debugLines = () => parsed().filter((line) => line.level === "DEBUG");

let server: TestServer;
useTestServer((started) => {
  server = started;
});

beforeEach(() => {
  lines.length = 0;
});

describe("the request log", () => {
  test("a request produces exactly one JSON line, named by the id echoed in x-request-id", async () => {
    const response = await rawCall(server.url, "auth.setupStatus", { type: "query" });
    expect(response.status).toBe(200);
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines).toHaveLength(1);
    const [line] = parsed();
    expect(line?.logger).toBe("redflag.request");
    expect(line?.level).toBe("INFO");
    expect(line?.properties).toMatchObject({
      requestId,
      procedure: "auth.setupStatus",
      method: "GET",
      status: 200,
      callerKind: "anonymous",
      callerId: null,
    });
    expect(typeof line?.properties.durationMs).toBe("number");
  });

  test("a sane x-request-id from the caller names the request; a malformed one is replaced", async () => {
    const chosen = "agent-call-0123456789abcdef";
    const kept = await rawCall(server.url, "auth.setupStatus", {
      type: "query",
      headers: { "x-request-id": chosen },
    });
    expect(kept.headers.get("x-request-id")).toBe(chosen);
    expect(parsed()[0]?.properties.requestId).toBe(chosen);
    for (const malformed of [
      "short",
      "has spaces in it, which are not allowed",
      "x".repeat(200),
      "a\u0000b-0123456789",
    ]) {
      const replaced = await rawCall(server.url, "auth.setupStatus", {
        type: "query",
        headers: { "x-request-id": malformed.replace("\u0000", "%00") },
      });
      const id = replaced.headers.get("x-request-id");
      expect(id).not.toBe(malformed);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  test("a command handed out at check-in is logged with its command id, agent id and request id", async () => {
    const admin = await signIn(server, "admin");
    const agent = await registerAgent(server, admin);
    const command = await admin.client.agents.requestCommand.mutate({ agentId: agent.agentId, type: "scan" });
    lines.length = 0;
    const answer = await agent.client.agent.checkIn.mutate({
      agentVersion: "0.1.0",
      metrics: {},
      rebootRequired: false,
    });
    expect(answer.commands.map((handed) => handed.id)).toEqual([command.id]);
    const [handedOut, request] = parsed();
    expect(lines).toHaveLength(2);
    expect(request?.properties).toMatchObject({
      procedure: "agent.checkIn",
      callerKind: "agent",
      callerId: agent.agentId,
      status: 200,
    });
    expect(handedOut?.properties).toMatchObject({
      commandId: command.id,
      agentId: agent.agentId,
      requestId: request?.properties.requestId,
    });
  });

  test("an auth refusal is a warning with the caller's address, never the token it sent", async () => {
    const token = `rf_pat_${"s".repeat(43)}`;
    const response = await rawCall(server.url, "agents.list", {
      type: "query",
      input: {},
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(401);
    const refusal = parsed().find((line) => line.level === "WARN");
    expect(refusal?.properties).toMatchObject({
      code: "UNAUTHORIZED",
      procedure: "agents.list",
      address: "127.0.0.1",
      requestId: response.headers.get("x-request-id"),
    });
    expect(lines.join("")).not.toContain(token);
    expect(lines.join("")).not.toContain("s".repeat(43));
  });

  test("a rate-limit hit is a warning with the address; the password tried is not logged", async () => {
    const password = "wrong-password-0123456789";
    const username = `nobody-${Math.random().toString(36).slice(2)}`;
    const codes: number[] = [];
    for (let attempt = 0; attempt < 7; attempt++) {
      const response = await rawCall(server.url, "auth.login", {
        type: "mutation",
        input: { username, password },
      });
      codes.push(response.status);
    }
    expect(codes).toContain(429);
    const hits = parsed().filter(
      (line) => line.level === "WARN" && line.properties.code === "TOO_MANY_REQUESTS",
    );
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0]?.properties).toMatchObject({
      procedure: "auth.login",
      address: "127.0.0.1",
      callerKind: "anonymous",
    });
    expect(lines.join("")).not.toContain(password);
  });
});

describe("what a log line may carry", () => {
  test("an internal failure is logged once with its request id and its whole cause chain", async () => {
    // A database whose every query fails with a cause under a cause.
    const db = new Proxy(server.api.db, {
      get(target, property, receiver) {
        if (property === "select" || property === "execute") {
          return () => {
            throw new Error("the statement failed", {
              cause: new Error("disk full", { cause: new Error("ENOSPC") }),
            });
          };
        }
        return Reflect.get(target, property, receiver);
      },
    });
    const handler = createTrpcHandler({ ...server.api, db });
    const response = await handler(new Request(`${server.url}/api/trpc/auth.setupStatus`));
    expect(response.status).toBe(500);
    const requestId = response.headers.get("x-request-id");
    const failures = parsed().filter((line) => line.level === "ERROR" && line.message.includes("failed"));
    expect(failures).toHaveLength(1);
    const [failure] = failures;
    expect(failure?.properties.requestId).toBe(requestId);
    expect(failure?.properties.procedure).toBe("auth.setupStatus");
    const messages: string[] = [];
    let error = failure?.properties.error as { message: string; cause?: unknown } | undefined;
    while (error) {
      messages.push(error.message);
      error = error.cause as typeof error;
    }
    expect(messages.slice(-3)).toEqual(["the statement failed", "disk full", "ENOSPC"]);
  });

  test("secrets are redacted by field name and by shape; an error keeps its cause chain", () => {
    const cause = new Error("connection refused", { cause: new Error("ECONNREFUSED 127.0.0.1:5432") });
    serverLogger("test").error("Saving failed for {user}: {detail}", {
      user: "alice",
      detail: "sent Bearer abc.def.ghi with rf_at_payload.signature and rf_session=cookievalue",
      password: "hunter2-password",
      nested: { refreshToken: "rf_rt_refreshsecret", notification: { signingSecret: "whsec-value" } },
      headers: { authorization: "Basic dXNlcjpwYXNz", cookie: "rf_session=abc" },
      tokenId: "tok_kept",
      error: errorProperties(new Error("could not save", { cause })),
    });
    const text = lines.join("");
    for (const secret of [
      "hunter2-password",
      "rf_rt_refreshsecret",
      "whsec-value",
      "dXNlcjpwYXNz",
      "abc.def.ghi",
      "payload.signature",
      "cookievalue",
    ]) {
      expect(text).not.toContain(secret);
    }
    const [line] = parsed();
    expect(line?.properties.tokenId).toBe("tok_kept");
    expect(line?.properties.user).toBe("alice");
    const error = line?.properties.error as {
      message: string;
      cause: { message: string; cause: { message: string } };
    };
    expect(error.message).toBe("could not save");
    expect(error.cause.message).toBe("connection refused");
    expect(error.cause.cause.message).toBe("ECONNREFUSED 127.0.0.1:5432");
  });
});

describe("debug mode", () => {
  test("saving the setting flips this server to debug at once, and agents are told at check-in", async () => {
    const admin = await signIn(server, "admin");
    const agent = await registerAgent(server, admin);
    const checkIn = () =>
      agent.client.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: false });

    lines.length = 0;
    expect((await checkIn()).debugLogging).toBe(false);
    expect(debugLines()).toEqual([]);

    await admin.client.settings.set.mutate({ key: "debugMode", value: true });
    expect(server.api.debugMode.on).toBe(true);
    lines.length = 0;
    // A login at debug: its body is logged, its password is not.
    await rawCall(server.url, "auth.login", {
      type: "mutation",
      input: { username: admin.username, password: admin.password },
    });
    expect((await checkIn()).debugLogging).toBe(true);
    const debug = debugLines();
    const body = debug.find((line) => line.message.startsWith("Request body of"));
    expect(body?.properties.procedure).toBe("auth.login");
    expect(JSON.stringify(body?.properties.body)).toContain(admin.username);
    const sql = debug.filter((line) => line.logger === "redflag.sql");
    expect(sql.length).toBeGreaterThan(0);
    expect(sql[0]?.properties.sql).toEqual(expect.stringMatching(/select|insert|update/i));
    expect(typeof sql[0]?.properties.durationMs).toBe("number");
    // SQL lines name the request they ran for.
    expect(sql.every((line) => typeof line.properties.requestId === "string")).toBe(true);
    expect(lines.join("")).not.toContain(admin.password);

    await admin.client.settings.set.mutate({ key: "debugMode", value: false });
    lines.length = 0;
    expect((await checkIn()).debugLogging).toBe(false);
    expect(debugLines()).toEqual([]);
  });

  test("another server on the same database reads the setting on its own", async () => {
    const other = await startApiServer({
      database: server.database.handle,
      config: { ...server.api.config, secret: testSecret },
      leaseSweepIntervalMs: 0,
      schedulerIntervalMs: 0,
      debugModeRefreshMs: 0,
    });
    try {
      const admin = await signIn(server, "admin");
      expect(other.debugMode.on).toBe(false);
      await admin.client.settings.set.mutate({ key: "debugMode", value: true });
      expect(other.debugMode.on).toBe(false);
      expect(await other.debugMode.refresh()).toBe(true);
      await admin.client.settings.set.mutate({ key: "debugMode", value: false });
      expect(await other.debugMode.refresh()).toBe(false);
      lines.length = 0;
      await rawCall(server.url, "auth.setupStatus", { type: "query" });
      expect(debugLines()).toEqual([]);
    } finally {
      await other.stop();
    }
  });
});
