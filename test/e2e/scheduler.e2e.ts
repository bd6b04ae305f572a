import { afterAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { testEnvironment } from "../harness/environment.ts";
import { aptItem, hostFacts, scanReport } from "../harness/fixtures.ts";
import { apiClient, rawCall } from "../harness/server.ts";
import { waitFor } from "../harness/wait-for.ts";
import { type NextServer, serverDatabaseEnvironment, startNextServer } from "./next-server.ts";

/**
 * The server's one scheduler across instances: on PostgreSQL two production servers (`next start`)
 * share one database, each ticking its scheduler every 5 s on its own; on the embedded database one
 * server. Installs fail on an agent; each failure queues one notification for a signed webhook, and
 * the delivery job — run by whichever instance claims it — must send each exactly once: an instance
 * running the job beside the other would send the same pending deliveries twice.
 */
const postgresUrl = testEnvironment.postgresUrl;
const servers: NextServer[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterAll(async () => {
  for (const server of servers) await server.stop();
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

const signingSecret = "scheduler-e2e-webhook-secret-0123456789";
const failures = 24;

/** A webhook endpoint counting every delivery id it receives, refusing a bad signature. */
function startWebhook() {
  const received = new Map<string, number>();
  const refused: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = await request.text();
      const timestamp = request.headers.get("x-redflag-timestamp") ?? "";
      const expected = `sha256=${createHmac("sha256", signingSecret).update(`${timestamp}.${body}`).digest("hex")}`;
      const delivery = request.headers.get("x-redflag-delivery") ?? "";
      if (request.headers.get("x-redflag-signature") !== expected || !delivery) {
        refused.push(delivery);
        return new Response("bad signature", { status: 401 });
      }
      // Slow enough that a second instance running the job at the same time would find the rows still pending.
      await Bun.sleep(1_000);
      received.set(delivery, (received.get(delivery) ?? 0) + 1);
      return new Response(null, { status: 204 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/hook`, received, refused, stop: () => server.stop(true) };
}

describe(`the scheduler on the production server (${postgresUrl ? "two instances on PostgreSQL" : "embedded PGlite"})`, () => {
  test("every queued notification is delivered exactly once by whichever instance runs the job", async () => {
    const webhook = startWebhook();
    cleanups.push(webhook.stop);
    const environment = {
      ...(await serverDatabaseEnvironment(postgresUrl, cleanups, "redflag-scheduler-")),
      REDFLAG_SECRET: "scheduler-e2e-secret-scheduler-e2e-secret-0123",
      REDFLAG_ADMIN_USER: "admin",
      REDFLAG_ADMIN_PASSWORD: "e2e admin password",
    };
    const first = await startNextServer(environment);
    servers.push(first);
    const second = postgresUrl ? await startNextServer(environment) : first;
    if (second !== first) servers.push(second);

    const login = await rawCall(first.url, "auth.login", {
      type: "mutation",
      input: { username: "admin", password: "e2e admin password" },
    });
    const admin = apiClient(first.url, { cookie: login.headers.get("set-cookie")?.split(";")[0] ?? "" });
    await admin.notifications.create.mutate({
      target: {
        kind: "webhook",
        name: "counting webhook",
        events: ["install_failed"],
        config: { url: webhook.url },
        secrets: { signingSecret },
      },
    });
    const registration = await admin.registrationTokens.create.mutate({ label: "scheduler", seats: 1 });
    const registered = await apiClient(second.url).agent.register.mutate({
      registrationToken: registration.token,
      host: hostFacts({ hostname: "scheduler-host" }),
    });
    const agent = apiClient(second.url, { token: registered.accessToken });
    await agent.agent.reportScan.mutate(
      scanReport(Array.from({ length: failures }, (_, index) => aptItem(`rf-scheduled-${index}`))),
    );
    const { items } = await admin.updates.list.query({ agentId: registered.agentId, pageSize: 100 });
    expect(items).toHaveLength(failures);
    // One install per update, each failing on the agent: one install_failed each.
    for (const update of items) await admin.updates.install.mutate({ updateIds: [update.id] });
    const checkIn = { agentVersion: "0.1.0", metrics: {}, rebootRequired: false };
    const leased = new Set<string>();
    while (leased.size < failures) {
      const answer = await agent.agent.checkIn.mutate(checkIn);
      if (answer.commands.length === 0) throw new Error(`only ${leased.size} installs were handed out`);
      for (const command of answer.commands) {
        leased.add(command.id);
        await agent.agent.reportResult.mutate({
          commandId: command.id,
          status: "failed",
          exitCode: 100,
          output: "E: Unable to fetch some archives",
          startedAt: new Date(),
          finishedAt: new Date(),
        });
      }
    }

    await waitFor(
      "every install_failed delivered",
      async () => (webhook.received.size >= failures ? true : undefined),
      120_000,
    );
    // A little longer: a second sending of any of them would arrive now.
    await Bun.sleep(7_000);
    expect(webhook.refused).toEqual([]);
    expect(webhook.received.size).toBe(failures);
    expect([...webhook.received.values()].every((count) => count === 1)).toBe(true);
    const deliveries = await admin.notifications.deliveries.query({});
    expect(deliveries.rows.filter((delivery) => delivery.status === "sent")).toHaveLength(failures);
    expect(deliveries.rows.every((delivery) => delivery.attempts === 1)).toBe(true);
  }, 300_000);
});
