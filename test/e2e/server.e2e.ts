import { afterAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { testEnvironment } from "../harness/environment.ts";
import { aptItem, hostFacts, scanReport } from "../harness/fixtures.ts";
import { apiClient, rawCall } from "../harness/server.ts";
import { type NextServer, startNextServer, temporaryDirectory } from "./next-server.ts";

/** The production Next.js server, on the embedded database or on REDFLAG_TEST_POSTGRES_URL. */
const postgresUrl = testEnvironment.postgresUrl;
const cleanups: (() => Promise<void> | void)[] = [];
let running: NextServer | null = null;

afterAll(async () => {
  await running?.stop();
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 30_000);

async function databaseEnvironment(): Promise<Record<string, string>> {
  if (!postgresUrl) {
    const dataDirectory = temporaryDirectory("redflag-e2e-");
    cleanups.push(dataDirectory.remove);
    return { REDFLAG_DATA_DIR: dataDirectory.path };
  }
  const name = `redflag_e2e_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(postgresUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  cleanups.push(async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return { DATABASE_URL: url.toString() };
}

describe(`the production server (${postgresUrl ? "Postgres" : "embedded PGlite"})`, () => {
  test("serves the whole agent protocol, and its data survives a restart", async () => {
    const environment = {
      ...(await databaseEnvironment()),
      REDFLAG_ADMIN_USER: "admin",
      REDFLAG_ADMIN_PASSWORD: "e2e admin password",
    };
    running = await startNextServer(environment);
    const login = await rawCall(running.url, "auth.login", {
      type: "mutation",
      input: { username: "admin", password: "e2e admin password" },
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get("set-cookie")?.split(";")[0] ?? "";
    const admin = apiClient(running.url, { cookie });
    const health = await admin.health.get.query();
    expect(health.database).toMatchObject({ driver: postgresUrl ? "postgres" : "pglite", reachable: true });
    expect(health.migrations?.applied).toBe(health.migrations?.available);

    const registration = await admin.registrationTokens.create.mutate({ label: "e2e", seats: 1 });
    const registered = await apiClient(running.url).agent.register.mutate({
      registrationToken: registration.token,
      host: hostFacts({ hostname: "e2e-host" }),
    });
    const agent = apiClient(running.url, { token: registered.accessToken });
    await agent.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: false });
    await agent.agent.reportScan.mutate(scanReport([aptItem("openssl", { security: true })]));
    const [update] = (await admin.updates.list.query({ agentId: registered.agentId })).items;
    if (!update) throw new Error("update missing");
    const { commandIds } = await admin.updates.install.mutate({ updateIds: [update.id] });
    const leased = await agent.agent.checkIn.mutate({
      agentVersion: "0.1.0",
      metrics: {},
      rebootRequired: false,
    });
    expect(leased.commands.map((command) => command.id)).toEqual(commandIds);
    await agent.agent.reportResult.mutate({
      commandId: commandIds[0] as string,
      status: "succeeded",
      exitCode: 0,
      output: "done",
      startedAt: new Date(),
      finishedAt: new Date(),
      items: [
        { updateId: update.id, status: "installed", installedVersion: update.availableVersion, message: "" },
      ],
    });

    const tooLarge = await fetch(`${running.url}/api/trpc/agent.reportScan`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${registered.accessToken}` },
      body: "x".repeat(6 * 1024 * 1024),
    });
    expect(tooLarge.status).toBe(413);

    await running.stop();
    running = await startNextServer(environment);
    const afterRestart = apiClient(running.url, { cookie });
    const [installed] = (await afterRestart.updates.list.query({ agentId: registered.agentId })).items;
    expect(installed?.status).toBe("installed");
    // The access token signed before the restart still works: the secret was kept.
    const again = apiClient(running.url, { token: registered.accessToken });
    expect(
      (await again.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: false }))
        .commands,
    ).toEqual([]);
    expect((await fetch(`${running.url}/api/health`)).status).toBe(200);
  }, 180_000);
});
