import { afterAll, describe, expect, test } from "bun:test";
import { testEnvironment } from "../harness/environment.ts";
import { hostFacts } from "../harness/fixtures.ts";
import { apiClient, rawCall } from "../harness/server.ts";
import { type NextServer, serverDatabaseEnvironment, startNextServer } from "./next-server.ts";

/**
 * Long polls through the production server (`next start`), whose agent path skips Next's request
 * handling (apps/web/src/server/agent-fast-path.ts): on the embedded database one server; on
 * PostgreSQL two server instances on one database, the agent waiting on one while the command is
 * queued on the other.
 */
const postgresUrl = testEnvironment.postgresUrl;
const servers: NextServer[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterAll(async () => {
  for (const server of servers) await server.stop();
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

function databaseEnvironment(): Promise<Record<string, string>> {
  return serverDatabaseEnvironment(postgresUrl, cleanups, "redflag-long-poll-");
}

const checkIn = { agentVersion: "0.1.0", metrics: {}, rebootRequired: false };

describe(`long polls on the production server (${postgresUrl ? "two instances on PostgreSQL" : "embedded PGlite"})`, () => {
  test("a command queued on one instance reaches the agent waiting on the other within 2 s", async () => {
    const environment = {
      ...(await databaseEnvironment()),
      REDFLAG_SECRET: "long-poll-e2e-secret-long-poll-e2e-secret-0123",
      REDFLAG_ADMIN_USER: "admin",
      REDFLAG_ADMIN_PASSWORD: "e2e admin password",
    };
    const first = await startNextServer(environment);
    servers.push(first);
    // On the embedded database only one server may open the data directory: both sides are the one.
    const second = postgresUrl ? await startNextServer(environment) : first;
    if (second !== first) servers.push(second);

    const login = await rawCall(first.url, "auth.login", {
      type: "mutation",
      input: { username: "admin", password: "e2e admin password" },
    });
    const admin = apiClient(first.url, { cookie: login.headers.get("set-cookie")?.split(";")[0] ?? "" });
    const registration = await admin.registrationTokens.create.mutate({ label: "long poll", seats: 1 });
    const registered = await apiClient(second.url).agent.register.mutate({
      registrationToken: registration.token,
      host: hostFacts({ hostname: "long-poll-host" }),
    });
    const agent = apiClient(second.url, { token: registered.accessToken });
    const plain = await agent.agent.checkIn.mutate(checkIn);
    expect(plain.longPollSeconds).toBe(50);

    // The agent path answers with the API's own headers and the pages' security headers.
    const raw = await rawCall(second.url, "agent.checkIn", {
      type: "mutation",
      input: checkIn,
      headers: { authorization: `Bearer ${registered.accessToken}` },
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(raw.headers.get("x-content-type-options")).toBe("nosniff");
    expect(raw.headers.get("content-security-policy")).toContain("default-src 'none'");

    for (let round = 0; round < 3; round++) {
      const waiting = agent.agent.checkIn.mutate({ ...checkIn, waitSeconds: 40 });
      await Bun.sleep(500);
      const queuedAt = performance.now();
      const { id } = await admin.agents.requestCommand.mutate({ agentId: registered.agentId, type: "scan" });
      const answer = await waiting;
      const elapsed = performance.now() - queuedAt;
      expect(answer.commands.map((command) => command.id)).toEqual([id]);
      // A generous bound; bench:longpoll measures the real figure.
      expect(elapsed).toBeLessThan(2_000);
      await agent.agent.reportResult.mutate({
        commandId: id,
        status: "succeeded",
        exitCode: 0,
        output: "",
        startedAt: new Date(),
        finishedAt: new Date(),
      });
    }
  }, 180_000);
});
