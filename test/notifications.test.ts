import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expireLeases } from "@redflag/api/services/commands/expire-leases.ts";
import { deliverNotifications } from "@redflag/api/services/notifications/deliver-notifications.ts";
import { enqueueNotification } from "@redflag/api/services/notifications/enqueue-notification.ts";
import { sealSecrets } from "@redflag/api/services/notifications/secret-box.ts";
import type {
  AgentId,
  CommandId,
  NotificationEvent,
  NotificationTargetDraft,
  NotificationTargetId,
} from "@redflag/contracts";
import { agents, auditEvents, commands, notificationDeliveries, notificationTargets } from "@redflag/db";
import { asc, eq } from "drizzle-orm";
import { SMTPServer } from "smtp-server";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { errorCodeOf, type TestServer, testSecret, useTestServer } from "./harness/server.ts";

// The time the scheduler's jobs see: tests move it (backoffs, offline agents, the digest's hour).
let now = new Date();
let server: TestServer;
useTestServer(
  (started) => {
    server = started;
  },
  { clock: () => now },
);

const jobNames = ["notification-deliveries", "notification-watch", "notification-digest"];

/** Runs the notification jobs at `now` (whatever it was moved to), then the deliveries once more. */
async function runJobs() {
  for (const name of jobNames) await server.api.scheduler.requestRun(name);
  await server.api.scheduler.tick();
  await server.api.scheduler.requestRun("notification-deliveries");
  await server.api.scheduler.tick();
}

/** Moves the clock on and runs the deliveries job there (it sends what is due by then). */
async function advance(seconds: number) {
  now = new Date(now.getTime() + seconds * 1000);
  await server.api.scheduler.requestRun("notification-deliveries");
  await server.api.scheduler.tick();
}

type Received = { method: string; path: string; headers: Headers; body: string };

/** A local HTTP endpoint standing for ntfy, Gotify, Discord, Slack or a webhook receiver. */
function startEndpoint() {
  const received: Received[] = [];
  let respond: (request: Received) => Response | Promise<Response> = () => new Response("ok");
  const http = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const entry = {
        method: request.method,
        path: new URL(request.url).pathname,
        headers: request.headers,
        body: await request.text(),
      };
      received.push(entry);
      return respond(entry);
    },
  });
  return {
    url: `http://127.0.0.1:${http.port}`,
    received,
    on(handler: typeof respond) {
      respond = handler;
    },
    at(path: string) {
      return received.filter((entry) => entry.path === path);
    },
    stop: () => http.stop(true),
  };
}

let endpoint: ReturnType<typeof startEndpoint>;
let admin: Awaited<ReturnType<typeof signIn>>;
beforeAll(async () => {
  endpoint = startEndpoint();
  admin = await signIn(server, "admin");
});
afterAll(() => endpoint.stop());
afterEach(async () => {
  endpoint.on(() => new Response("ok"));
  endpoint.received.length = 0;
  await server.api.db.delete(notificationTargets);
});

function webhookDraft(
  events: NotificationEvent[],
  overrides: Partial<Extract<NotificationTargetDraft, { kind: "webhook" }>> = {},
): NotificationTargetDraft {
  return {
    kind: "webhook",
    name: "hook",
    enabled: true,
    events,
    tags: [],
    config: { url: `${endpoint.url}/hook` },
    secrets: { signingSecret: "hook-signing-secret-0123456789" },
    ...overrides,
  };
}

async function createTarget(target: NotificationTargetDraft) {
  return admin.client.notifications.create.mutate({ target });
}

async function deliveriesOf(targetId: NotificationTargetId) {
  return server.api.db
    .select()
    .from(notificationDeliveries)
    .where(eq(notificationDeliveries.targetId, targetId))
    .orderBy(asc(notificationDeliveries.createdAt), asc(notificationDeliveries.id));
}

/** The JSON bodies the webhook endpoint received, each checked against its signature first. */
function webhookBodies(secret = "hook-signing-secret-0123456789") {
  return endpoint.at("/hook").map((request) => {
    const timestamp = request.headers.get("x-redflag-timestamp") ?? "";
    const expected = createHmac("sha256", secret).update(`${timestamp}.${request.body}`).digest("hex");
    expect(request.headers.get("x-redflag-signature")).toBe(`sha256=${expected}`);
    const body = JSON.parse(request.body) as {
      id: string;
      event: string;
      title: string;
      body: string;
      payload: Record<string, unknown>;
    };
    expect(request.headers.get("x-redflag-event")).toBe(body.event);
    expect(request.headers.get("x-redflag-delivery")).toBe(body.id);
    return body;
  });
}

describe("notification targets", () => {
  test("ntfy, Gotify, Discord, Slack and the webhook each get their service's documented request", async () => {
    const events: NotificationEvent[] = ["automation_summary"];
    const common = { enabled: true, events, tags: [] };
    const ntfy = await createTarget({
      kind: "ntfy",
      name: "ntfy",
      ...common,
      config: { serverUrl: `${endpoint.url}/ntfy/`, topic: "redflag-alerts", priority: 3 },
      secrets: { accessToken: "tk_ntfytoken123" },
    });
    const gotify = await createTarget({
      kind: "gotify",
      name: "gotify",
      ...common,
      config: { serverUrl: `${endpoint.url}/gotify`, priority: 5 },
      secrets: { appToken: "AgotifyAppToken" },
    });
    const discord = await createTarget({
      kind: "discord",
      name: "discord",
      ...common,
      config: {},
      secrets: { webhookUrl: `${endpoint.url}/api/webhooks/123/discord-key` },
    });
    const slack = await createTarget({
      kind: "slack",
      name: "slack",
      ...common,
      config: {},
      secrets: { webhookUrl: `${endpoint.url}/services/T000/B000/slack-key` },
    });
    const hook = await createTarget(webhookDraft(events));

    const long = "x".repeat(5000);
    const queued = await enqueueNotification(server.api.db, {
      event: "automation_summary",
      dedupKey: "summary:1",
      title: "Policy approved 3 updates",
      body: `openssl, curl, bash\n${long}`,
      payload: { approved: 3 },
    });
    expect(queued).toBe(5);
    await runJobs();

    const [ntfyRequest] = endpoint.at("/ntfy");
    expect(ntfyRequest?.method).toBe("POST");
    expect(ntfyRequest?.headers.get("authorization")).toBe("Bearer tk_ntfytoken123");
    expect(ntfyRequest?.headers.get("content-type")).toBe("application/json");
    const ntfyBody = JSON.parse(ntfyRequest?.body ?? "{}");
    expect(ntfyBody).toMatchObject({
      topic: "redflag-alerts",
      title: "Policy approved 3 updates",
      priority: 3,
    });
    expect(ntfyBody.tags).toContain("automation_summary");
    expect(ntfyBody.message.startsWith("openssl, curl, bash")).toBe(true);

    const [gotifyRequest] = endpoint.at("/gotify/message");
    expect(gotifyRequest?.headers.get("x-gotify-key")).toBe("AgotifyAppToken");
    expect(JSON.parse(gotifyRequest?.body ?? "{}")).toMatchObject({
      title: "Policy approved 3 updates",
      priority: 5,
    });

    const [discordRequest] = endpoint.at("/api/webhooks/123/discord-key");
    const discordBody = JSON.parse(discordRequest?.body ?? "{}");
    const [embed] = discordBody.embeds;
    expect(embed.title).toBe("Policy approved 3 updates");
    // Discord refuses an embed description over 4096 characters: the long body is cut to fit.
    expect([...embed.description].length).toBe(4096);
    expect(embed.description.endsWith("…")).toBe(true);
    expect(discordBody.allowed_mentions).toEqual({ parse: [] });

    const [slackRequest] = endpoint.at("/services/T000/B000/slack-key");
    const slackBody = JSON.parse(slackRequest?.body ?? "{}");
    expect(slackBody.text.startsWith("Policy approved 3 updates\nopenssl")).toBe(true);
    expect(slackBody.blocks[0]).toEqual({
      type: "header",
      text: { type: "plain_text", text: "Policy approved 3 updates", emoji: false },
    });
    expect([...slackBody.blocks[1].text.text].length).toBeLessThanOrEqual(3000);

    const [hookBody] = webhookBodies();
    expect(hookBody).toMatchObject({
      event: "automation_summary",
      title: "Policy approved 3 updates",
      payload: { approved: 3 },
    });

    for (const target of [ntfy, gotify, discord, slack, hook]) {
      const [delivery] = await deliveriesOf(target.id);
      expect(delivery).toMatchObject({ status: "sent", attempts: 1, responseStatus: 200, lastError: null });
    }
  });

  test("e-mail goes through a real SMTP server with STARTTLS and a login", async () => {
    const directory = mkdtempSync(join(tmpdir(), "redflag-smtp-"));
    const openssl = Bun.spawnSync([
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      join(directory, "key.pem"),
      "-out",
      join(directory, "cert.pem"),
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ]);
    expect(openssl.exitCode).toBe(0);
    const certificate = readFileSync(join(directory, "cert.pem"), "utf8");
    const messages: { raw: string; secure: boolean; user: unknown; to: string[] }[] = [];
    const smtp = new SMTPServer({
      secure: false,
      key: readFileSync(join(directory, "key.pem")),
      cert: certificate,
      authMethods: ["PLAIN", "LOGIN"],
      onAuth(auth, _session, callback) {
        if (auth.username === "mailer" && auth.password === "mail-password") {
          callback(null, { user: auth.username });
        } else {
          callback(new Error("Invalid username or password"));
        }
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          messages.push({
            raw: Buffer.concat(chunks).toString("utf8"),
            secure: session.secure,
            user: session.user,
            to: session.envelope.rcptTo.map((address) => address.address),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", () => resolve()));
    const address = smtp.server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const draft = (password: string): NotificationTargetDraft => ({
        kind: "email",
        name: "mail",
        enabled: true,
        events: ["install_failed"],
        tags: [],
        config: {
          host: "127.0.0.1",
          port,
          security: "starttls",
          from: "redflag@example.test",
          to: ["ops@example.test", "oncall@example.test"],
          username: "mailer",
          caCertificate: certificate,
        },
        secrets: { password },
      });
      const mail = await createTarget(draft("mail-password"));
      await enqueueNotification(server.api.db, {
        event: "install_failed",
        dedupKey: "mail:1",
        title: "Install failed on web-1",
        body: "openssl: dpkg was interrupted",
      });
      await runJobs();
      expect(messages).toHaveLength(1);
      const [message] = messages;
      expect(message?.secure).toBe(true);
      expect(message?.user).toBe("mailer");
      expect(message?.to).toEqual(["ops@example.test", "oncall@example.test"]);
      expect(message?.raw).toContain("Subject: Install failed on web-1");
      expect(message?.raw).toContain("openssl: dpkg was interrupted");
      expect((await deliveriesOf(mail.id))[0]).toMatchObject({ status: "sent", responseStatus: 250 });

      // A refused login is the server's final word: failed at once, its reply kept.
      const wrong = await createTarget({ ...draft("wrong-password"), name: "wrong login" });
      await enqueueNotification(server.api.db, {
        event: "install_failed",
        dedupKey: "mail:2",
        title: "Install failed on web-2",
        body: "curl",
      });
      await runJobs();
      const [refused] = await deliveriesOf(wrong.id);
      expect(refused).toMatchObject({ status: "failed", attempts: 1, responseStatus: 535 });
      expect(refused?.lastError).toContain("Invalid username or password");
    } finally {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      rmSync(directory, { recursive: true, force: true });
    }
  });

  test("a 500 is retried after its backoff, then sent; a refusal fails at once; retries end in failed", async () => {
    const flaky = await createTarget(webhookDraft(["agent_offline"], { name: "flaky" }));
    let calls = 0;
    endpoint.on(() => {
      calls += 1;
      return calls === 1 ? new Response("database locked", { status: 500 }) : new Response("ok");
    });
    await enqueueNotification(server.api.db, {
      event: "agent_offline",
      dedupKey: "retry:1",
      title: "t",
      body: "b",
    });
    await runJobs();
    let [delivery] = await deliveriesOf(flaky.id);
    expect(delivery).toMatchObject({ status: "pending", attempts: 1, responseStatus: 500 });
    expect(delivery?.lastError).toBe("HTTP 500 Internal Server Error: database locked");
    expect(delivery?.nextAttemptAt.getTime()).toBe(now.getTime() + 30_000);
    await advance(25);
    expect((await deliveriesOf(flaky.id))[0]?.attempts).toBe(1);
    await advance(5);
    [delivery] = await deliveriesOf(flaky.id);
    expect(delivery).toMatchObject({ status: "sent", attempts: 2, responseStatus: 200, lastError: null });

    endpoint.on(() => new Response("unknown hook", { status: 404 }));
    await enqueueNotification(server.api.db, {
      event: "agent_offline",
      dedupKey: "retry:2",
      title: "t",
      body: "b",
    });
    await runJobs();
    const refused = (await deliveriesOf(flaky.id)).find((row) => row.dedupKey === "retry:2");
    expect(refused).toMatchObject({ status: "failed", attempts: 1, responseStatus: 404 });
    expect(refused?.lastError).toBe("HTTP 404 Not Found: unknown hook");

    endpoint.on(() => new Response("overloaded", { status: 503 }));
    await enqueueNotification(server.api.db, {
      event: "agent_offline",
      dedupKey: "retry:3",
      title: "t",
      body: "b",
    });
    await runJobs();
    const attemptsSeen: number[] = [];
    for (const delay of [30, 120, 600, 3600, 6 * 3600]) {
      const row = (await deliveriesOf(flaky.id)).find((entry) => entry.dedupKey === "retry:3");
      attemptsSeen.push(row?.attempts ?? 0);
      expect(row?.status).toBe("pending");
      expect(row?.nextAttemptAt.getTime()).toBe(now.getTime() + delay * 1000);
      await advance(delay);
    }
    const exhausted = (await deliveriesOf(flaky.id)).find((entry) => entry.dedupKey === "retry:3");
    expect(attemptsSeen).toEqual([1, 2, 3, 4, 5]);
    expect(exhausted).toMatchObject({ status: "failed", attempts: 6, responseStatus: 503 });
    expect(exhausted?.lastError).toBe("HTTP 503 Service Unavailable: overloaded (gave up after 6 attempts)");
  });

  test("an endpoint that never answers times out and is retried", async () => {
    const silent = await createTarget(webhookDraft(["agent_back"], { name: "silent" }));
    let answer = false;
    endpoint.on(() => (answer ? new Response("ok") : new Promise<Response>(() => {})));
    await enqueueNotification(server.api.db, {
      event: "agent_back",
      dedupKey: "silent:1",
      title: "t",
      body: "b",
    });
    // The job's own call with a short timeout, so the test does not wait the 10 s a real attempt gets.
    const first = await deliverNotifications(server.api.db, {
      now,
      serverSecret: testSecret,
      timeoutMs: 200,
    });
    expect(first).toEqual({ sent: 0, failed: 0, retrying: 1 });
    const [waiting] = await deliveriesOf(silent.id);
    expect(waiting).toMatchObject({ status: "pending", attempts: 1, responseStatus: null });
    expect(waiting?.lastError).toBe("No answer within 0.2 s");
    answer = true;
    await advance(30);
    expect((await deliveriesOf(silent.id))[0]).toMatchObject({ status: "sent", attempts: 2 });
  });

  test("the same event told twice is delivered once", async () => {
    const hook = await createTarget(webhookDraft(["rollout_stopped"]));
    const message = {
      event: "rollout_stopped" as const,
      dedupKey: "rollout:rol_1",
      title: "Stopped",
      body: "b",
    };
    expect(await enqueueNotification(server.api.db, message)).toBe(1);
    expect(await enqueueNotification(server.api.db, message)).toBe(0);
    await runJobs();
    expect(await enqueueNotification(server.api.db, message)).toBe(0);
    await runJobs();
    expect(await deliveriesOf(hook.id)).toHaveLength(1);
    expect(webhookBodies()).toHaveLength(1);
  });

  test("a target with tags hears only of agents carrying one (and of fleet-wide events)", async () => {
    const tagged = await createTarget(webhookDraft(["install_succeeded", "daily_digest"], { tags: ["web"] }));
    const web = { id: "agt_00000000000000000000000001" as AgentId, hostname: "web-1", tags: ["web", "eu"] };
    const db = { id: "agt_00000000000000000000000002" as AgentId, hostname: "db-1", tags: ["db"] };
    const untagged = { id: "agt_00000000000000000000000003" as AgentId, hostname: "x-1", tags: [] };
    for (const agent of [web, db, untagged]) {
      await enqueueNotification(server.api.db, {
        event: "install_succeeded",
        agent,
        dedupKey: `tags:${agent.id}`,
        title: `Installed on ${agent.hostname}`,
        body: "",
      });
    }
    await enqueueNotification(server.api.db, {
      event: "daily_digest",
      dedupKey: "tags:fleet",
      title: "Digest",
      body: "",
    });
    expect((await deliveriesOf(tagged.id)).map((row) => row.title)).toEqual(["Installed on web-1", "Digest"]);
  });

  test("secrets are never answered, never stored in the clear, and kept when an update leaves them out", async () => {
    const token = "tk_very-secret-ntfy-token";
    const created = await createTarget({
      kind: "ntfy",
      name: "phone",
      enabled: true,
      events: ["agent_offline"],
      tags: [],
      config: { serverUrl: `${endpoint.url}/ntfy`, topic: "ops", priority: 4 },
      secrets: { accessToken: token },
    });
    expect(created.secretsSet).toEqual(["accessToken"]);
    const updated = await admin.client.notifications.update.mutate({
      id: created.id,
      target: {
        kind: "ntfy",
        name: "phone (renamed)",
        enabled: true,
        events: ["agent_offline", "agent_back"],
        tags: [],
        config: { serverUrl: `${endpoint.url}/ntfy`, topic: "ops", priority: 4 },
        secrets: {},
      },
    });
    expect(updated.secretsSet).toEqual(["accessToken"]);
    const listed = await admin.client.notifications.targets.query();
    const test = await admin.client.notifications.sendTest.mutate({ id: created.id });
    expect(test).toMatchObject({ ok: true, responseStatus: 200, error: null });
    expect(endpoint.at("/ntfy")[0]?.headers.get("authorization")).toBe(`Bearer ${token}`);
    const log = await admin.client.notifications.deliveries.query({});
    for (const answer of [created, updated, listed, test, log]) {
      expect(JSON.stringify(answer)).not.toContain(token);
    }
    const [row] = await server.api.db
      .select()
      .from(notificationTargets)
      .where(eq(notificationTargets.id, created.id));
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row?.secretCiphertext).toMatch(/^v1\./);
    const audits = await server.api.db.select().from(auditEvents).where(eq(auditEvents.entityId, created.id));
    expect(audits.map((event) => event.action).sort()).toEqual([
      "notification_target.created",
      "notification_target.updated",
    ]);
    expect(JSON.stringify(audits)).not.toContain(token);

    // null clears an optional secret.
    const cleared = await admin.client.notifications.update.mutate({
      id: created.id,
      target: {
        kind: "ntfy",
        name: updated.name,
        events: updated.events,
        config: { serverUrl: `${endpoint.url}/ntfy`, topic: "ops" },
        secrets: { accessToken: null },
      },
    });
    expect(cleared.secretsSet).toEqual([]);
    await admin.client.notifications.delete.mutate({ id: created.id });
    const deletedAudit = await server.api.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.entityId, created.id));
    expect(deletedAudit.map((event) => event.action)).toContain("notification_target.deleted");
    expect(JSON.stringify(deletedAudit)).not.toContain(token);
  });

  test("secrets sealed under another server secret give a clear delivery error", async () => {
    const hook = await createTarget(webhookDraft(["reboot_done"]));
    await server.api.db
      .update(notificationTargets)
      .set({
        secretCiphertext: sealSecrets("a-previous-server-secret-0123456789", hook.id, {
          signingSecret: "s".repeat(20),
        }),
      })
      .where(eq(notificationTargets.id, hook.id));
    const [listed] = await admin.client.notifications.targets.query();
    expect(listed).toMatchObject({ secretsSet: [], secretsUnreadable: true });
    await enqueueNotification(server.api.db, {
      event: "reboot_done",
      dedupKey: "sealed:1",
      title: "t",
      body: "b",
    });
    await runJobs();
    const [delivery] = await deliveriesOf(hook.id);
    expect(delivery).toMatchObject({ status: "failed", attempts: 1 });
    expect(delivery?.lastError).toBe(
      "The target's secrets cannot be decrypted: the server secret changed since they were saved. Edit the target and enter its secrets again",
    );
    expect(endpoint.received).toHaveLength(0);
  });

  test("settings changed by hand into something invalid fail the delivery with the reason", async () => {
    const hook = await createTarget(webhookDraft(["reboot_done"]));
    await server.api.db
      .update(notificationTargets)
      .set({ config: { url: "file:///etc/passwd" } })
      .where(eq(notificationTargets.id, hook.id));
    await enqueueNotification(server.api.db, {
      event: "reboot_done",
      dedupKey: "invalid:1",
      title: "t",
      body: "b",
    });
    await runJobs();
    const [delivery] = await deliveriesOf(hook.id);
    expect(delivery).toMatchObject({ status: "failed", attempts: 1 });
    expect(delivery?.lastError).toBe(
      "The target's settings are not valid (url: must be an http:// or https:// URL); edit the target",
    );
    expect(endpoint.received).toHaveLength(0);
  });

  test("Send test answers success or the target's error, and both are in the delivery log", async () => {
    const hook = await createTarget(webhookDraft([], { enabled: false }));
    const ok = await admin.client.notifications.sendTest.mutate({ id: hook.id });
    expect(ok).toMatchObject({ ok: true, responseStatus: 200, error: null });
    expect(webhookBodies()[0]).toMatchObject({ event: "test", payload: { test: true } });
    endpoint.on(() => new Response("bad token", { status: 401 }));
    const refused = await admin.client.notifications.sendTest.mutate({ id: hook.id });
    expect(refused).toMatchObject({
      ok: false,
      responseStatus: 401,
      error: "HTTP 401 Unauthorized: bad token",
    });
    const log = await admin.client.notifications.deliveries.query({ targetId: hook.id });
    expect(log.total).toBe(2);
    expect(log.rows.map((row) => [row.event, row.status, row.responseStatus])).toEqual(
      expect.arrayContaining([
        ["test", "sent", 200],
        ["test", "failed", 401],
      ]),
    );
    const failedOnly = await admin.client.notifications.deliveries.query({
      targetId: hook.id,
      status: "failed",
    });
    expect(failedOnly.rows.map((row) => row.lastError)).toEqual(["HTTP 401 Unauthorized: bad token"]);
    const viewer = await signIn(server, "viewer");
    expect(await errorCodeOf(viewer.client.notifications.sendTest.mutate({ id: hook.id }))).toBe("FORBIDDEN");
  });

  test("bad URLs, addresses and missing secrets are refused and nothing is stored", async () => {
    const refusals: NotificationTargetDraft[] = [
      webhookDraft([], { config: { url: "ftp://example.test/hook" } }),
      webhookDraft([], { config: { url: "javascript:alert(1)" } }),
      webhookDraft([], { config: { url: "http://user:pass@example.test/hook" } }),
      webhookDraft([], { secrets: {} }),
      {
        kind: "discord",
        name: "d",
        enabled: true,
        events: [],
        tags: [],
        config: {},
        secrets: { webhookUrl: "not a url" },
      },
      {
        kind: "email",
        name: "m",
        enabled: true,
        events: [],
        tags: [],
        config: {
          host: "127.0.0.1",
          port: 25,
          security: "none",
          from: "not-an-address",
          to: ["a@example.test"],
        },
        secrets: {},
      },
      {
        kind: "email",
        name: "m",
        enabled: true,
        events: [],
        tags: [],
        config: {
          host: "127.0.0.1",
          port: 70_000,
          security: "none",
          from: "a@example.test",
          to: ["a@example.test"],
        },
        secrets: {},
      },
    ];
    for (const target of refusals) {
      expect(await errorCodeOf(admin.client.notifications.create.mutate({ target }))).toBe("BAD_REQUEST");
    }
    expect(await server.api.db.select().from(notificationTargets)).toEqual([]);
    const hook = await createTarget(webhookDraft([]));
    const asGotify = {
      kind: "gotify" as const,
      name: "g",
      enabled: true,
      events: [],
      tags: [],
      config: { serverUrl: "https://gotify.example.test", priority: 5 },
      secrets: { appToken: "token" },
    };
    expect(
      await errorCodeOf(admin.client.notifications.update.mutate({ id: hook.id, target: asGotify })),
    ).toBe("BAD_REQUEST");
    const operator = await signIn(server, "operator");
    expect(await errorCodeOf(operator.client.notifications.create.mutate({ target: webhookDraft([]) }))).toBe(
      "FORBIDDEN",
    );
  });
});

describe("events the server tells", () => {
  const checkIn = { agentVersion: "0.1.0", metrics: {}, rebootRequired: false };

  async function installFor(names: string[]) {
    const agent = await registerAgent(server, admin);
    await agent.client.agent.reportScan.mutate(scanReport(names.map((name) => aptItem(name))));
    const listed = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
    const { commandIds } = await admin.client.updates.install.mutate({
      updateIds: listed.map((row) => row.id),
    });
    const commandId = commandIds[0] as CommandId;
    await agent.client.agent.checkIn.mutate(checkIn);
    return { agent, commandId, updates: listed };
  }

  test("an install's result tells install_succeeded or install_failed, once per command", async () => {
    await createTarget(webhookDraft(["install_succeeded", "install_failed"]));
    const good = await installFor(["curl"]);
    const result = {
      commandId: good.commandId,
      status: "succeeded" as const,
      exitCode: 0,
      output: "",
      startedAt: new Date(),
      finishedAt: new Date(),
      items: good.updates.map((row) => ({
        updateId: row.id,
        status: "installed" as const,
        installedVersion: row.availableVersion,
        message: "",
      })),
    };
    await good.agent.client.agent.reportResult.mutate(result);
    await good.agent.client.agent.reportResult.mutate(result);
    const bad = await installFor(["openssl"]);
    await bad.agent.client.agent.reportResult.mutate({
      ...result,
      commandId: bad.commandId,
      status: "failed",
      exitCode: 100,
      items: bad.updates.map((row) => ({
        updateId: row.id,
        status: "failed" as const,
        installedVersion: null,
        message: "dpkg was interrupted",
      })),
    });
    await runJobs();
    const bodies = webhookBodies();
    expect(bodies.map((body) => [body.event, body.payload.commandId])).toEqual([
      ["install_succeeded", good.commandId],
      ["install_failed", bad.commandId],
    ]);
    expect(bodies[0]?.title).toMatch(/^Installed 1 update on host-\d+$/);
    expect(bodies[1]?.body).toContain("openssl: dpkg was interrupted");
  });

  test("an install that times out without a result tells install_failed; its late result tells nothing more", async () => {
    await createTarget(webhookDraft(["install_succeeded", "install_failed"]));
    const silent = await installFor(["wget"]);
    // The agent went silent: its lease ran out on the install's one attempt.
    await server.api.db
      .update(commands)
      .set({ leaseExpiresAt: new Date(Date.now() - 1000), acknowledgedAt: new Date(Date.now() - 60_000) })
      .where(eq(commands.id, silent.commandId));
    await server.api.db.transaction((tx) => expireLeases(tx, {}));
    expect((await admin.client.commands.get.query({ commandId: silent.commandId })).status).toBe("timed_out");
    await silent.agent.client.agent.reportResult.mutate({
      commandId: silent.commandId,
      status: "failed",
      exitCode: 100,
      output: "",
      startedAt: new Date(),
      finishedAt: new Date(),
    });
    await runJobs();
    const bodies = webhookBodies();
    expect(bodies.map((body) => [body.event, body.payload.commandId])).toEqual([
      ["install_failed", silent.commandId],
    ]);
    expect(bodies[0]?.title).toMatch(/^Install timed out on host-\d+$/);
  });

  test("a reboot command that succeeded tells reboot_done, and the next requirement is told again", async () => {
    await createTarget(webhookDraft(["reboot_done", "reboot_required"]));
    const agent = await registerAgent(server, admin);
    const mine = () => webhookBodies().filter((body) => body.payload.agentId === agent.agentId);
    const needsReboot = { ...checkIn, rebootRequired: true, rebootReasons: ["linux-image-amd64"] };
    await agent.client.agent.checkIn.mutate(needsReboot);
    await runJobs();
    const reboot = await admin.client.agents.requestCommand.mutate({
      agentId: agent.agentId,
      type: "reboot",
    });
    expect(
      (await agent.client.agent.checkIn.mutate(needsReboot)).commands.map((command) => command.id),
    ).toEqual([reboot.id]);
    await agent.client.agent.reportResult.mutate({
      commandId: reboot.id,
      status: "succeeded",
      exitCode: 0,
      output: "",
      startedAt: new Date(),
      finishedAt: new Date(),
      items: [],
    });
    await agent.client.agent.checkIn.mutate(checkIn);
    await runJobs();
    // The same kernel wanted again after the reboot is a new requirement.
    await agent.client.agent.checkIn.mutate(needsReboot);
    await runJobs();
    await runJobs();
    expect(mine().map((body) => [body.event, body.payload.commandId ?? null])).toEqual([
      ["reboot_required", null],
      ["reboot_done", reboot.id],
      ["reboot_required", null],
    ]);
  });

  test("the watch tells an agent offline and back once per episode", async () => {
    await createTarget(webhookDraft(["agent_offline", "agent_back"]));
    const agent = await registerAgent(server, admin);
    const setLastCheckIn = (at: Date) =>
      server.api.db.update(agents).set({ lastCheckInAt: at }).where(eq(agents.id, agent.agentId));
    const mine = () => webhookBodies().filter((body) => body.payload.agentId === agent.agentId);

    // Default poll interval 300 s: three of them without a check-in is offline.
    const lastSeen = new Date(now.getTime() - 16 * 60_000);
    await setLastCheckIn(lastSeen);
    await runJobs();
    await runJobs();
    expect(mine().map((body) => body.event)).toEqual(["agent_offline"]);
    expect(mine()[0]?.payload.episode).toBe(String(lastSeen.getTime()));

    await setLastCheckIn(new Date(now.getTime() - 10_000));
    await runJobs();
    await runJobs();
    expect(mine().map((body) => body.event)).toEqual(["agent_offline", "agent_back"]);

    // A second episode is told again.
    await setLastCheckIn(new Date(now.getTime() - 20 * 60_000));
    await runJobs();
    expect(mine().map((body) => body.event)).toEqual(["agent_offline", "agent_back", "agent_offline"]);
  });

  test("the watch tells new security updates per agent, each once, and an agent newly needing a reboot", async () => {
    await createTarget(webhookDraft(["security_updates_found", "reboot_required"]));
    const agent = await registerAgent(server, admin);
    const mine = () => webhookBodies().filter((body) => body.payload.agentId === agent.agentId);
    await agent.client.agent.reportScan.mutate(
      scanReport([
        aptItem("openssl", { security: true, severity: "critical" }),
        aptItem("libc6", { security: true, severity: "important" }),
        aptItem("vim"),
      ]),
    );
    await runJobs();
    await runJobs();
    expect(mine().map((body) => [body.event, body.title])).toEqual([
      ["security_updates_found", expect.stringMatching(/^2 new security updates on host-\d+$/)],
    ]);
    expect(mine()[0]?.body).toBe("- openssl 1.0-2 (critical)\n- libc6 1.0-2 (important)");

    await agent.client.agent.reportScan.mutate(
      scanReport([
        aptItem("openssl", { security: true, severity: "critical" }),
        aptItem("libc6", { security: true, severity: "important" }),
        aptItem("sudo", { security: true, severity: "moderate" }),
      ]),
    );
    await agent.client.agent.checkIn.mutate({
      ...checkIn,
      rebootRequired: true,
      rebootReasons: ["linux-image-amd64"],
    });
    await runJobs();
    await runJobs();
    const told = mine().map((body) => [body.event, body.body]);
    expect(told).toEqual([
      ["security_updates_found", "- openssl 1.0-2 (critical)\n- libc6 1.0-2 (important)"],
      ["security_updates_found", "- sudo 1.0-2 (moderate)"],
      ["reboot_required", expect.stringContaining("- linux-image-amd64")],
    ]);
  });

  test("the daily digest is sent at its time in its time zone, once that day", async () => {
    const hook = await createTarget(webhookDraft(["daily_digest"]));
    await admin.client.settings.set.mutate({ key: "dailyDigestTime", value: "09:30" });
    await admin.client.settings.set.mutate({ key: "dailyDigestTimeZone", value: "America/New_York" });
    try {
      // 09:30 in New York on 2 December is 14:30 UTC (EST, UTC-5); 09:30 UTC is not the time.
      for (const at of ["2026-12-02T09:30:00Z", "2026-12-02T14:29:59Z"]) {
        now = new Date(at);
        await runJobs();
      }
      expect(await deliveriesOf(hook.id)).toEqual([]);
      now = new Date("2026-12-02T14:30:00Z");
      await runJobs();
      now = new Date("2026-12-02T14:45:00Z");
      await runJobs();
      const bodies = webhookBodies();
      expect(bodies.map((body) => body.title)).toEqual(["RedFlag daily digest for 2026-12-02"]);
      expect(bodies[0]?.body).toMatch(
        /^Pending updates: \d+ \(\d+ critical, \d+ important, \d+ moderate, \d+ low, \d+ unknown\)\nSecurity updates: \d+\nHosts offline: \d+\nInstalls in the last 24 hours: \d+ succeeded, \d+ failed$/,
      );
      expect(bodies[0]?.payload).toMatchObject({ date: "2026-12-02" });
      // The next day's is its own.
      now = new Date("2026-12-03T14:31:00Z");
      await runJobs();
      expect(webhookBodies().map((body) => body.title)).toEqual([
        "RedFlag daily digest for 2026-12-02",
        "RedFlag daily digest for 2026-12-03",
      ]);
    } finally {
      now = new Date();
    }
  });
});
