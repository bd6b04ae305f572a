/**
 * Automation end to end, without an admin's click on any update: the production server (embedded
 * PGlite, its own scheduler ticking), the compiled linux-x64 agent on real apt and dpkg in an isolated
 * root with a repository built here, a stand-in `shutdown` on the agent's PATH that records its argv,
 * a local ntfy endpoint that checks ntfy's JSON publish format, and a real SMTP server (smtp-server).
 * A policy "security updates of tag lab" approves; a maintenance window that is open now installs the
 * security update (not the other one), reboots the host because the package asked for it, and both
 * notification targets hear of the install. Needs `bun run build` and `bun run build:agents`.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { idSchema } from "@redflag/contracts";
import { SMTPServer } from "smtp-server";
import { AptSandbox } from "../../agent-bun/test/package-managers/apt/apt-sandbox.ts";
import { waitFor } from "../harness/wait-for.ts";
import { requireAgentBinary, runAgent, startDaemon, startServerForAgent } from "./agent-process.ts";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

type NtfyMessage = { topic: string; title: string; message: string; tags: string[]; priority: number };

/** A local ntfy server's publish endpoint: JSON to the root URL, as ntfy documents it. */
function startNtfyEndpoint() {
  const messages: NtfyMessage[] = [];
  const refusals: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const body = (await request.json().catch(() => null)) as Partial<NtfyMessage> | null;
      const wellFormed =
        request.method === "POST" &&
        url.pathname === "/" &&
        request.headers.get("content-type")?.startsWith("application/json") &&
        body !== null &&
        typeof body.topic === "string" &&
        typeof body.title === "string" &&
        typeof body.message === "string" &&
        Array.isArray(body.tags) &&
        typeof body.priority === "number";
      if (!wellFormed) {
        refusals.push(`${request.method} ${url.pathname} ${JSON.stringify(body)}`);
        return Response.json({ error: "not a ntfy JSON publish" }, { status: 400 });
      }
      messages.push(body as NtfyMessage);
      return Response.json({ id: crypto.randomUUID(), event: "message" });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, messages, refusals, stop: () => server.stop(true) };
}

/** A real SMTP server on a free local port, keeping every message it accepts. */
async function startSmtpServer() {
  const mails: { from: string; to: string[]; data: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      let data = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        data += chunk;
      });
      stream.on("end", () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          data,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A stand-in `shutdown` that records its argv, one argument per line, and succeeds. */
function standInShutdown(directory: string) {
  const bin = join(directory, "bin");
  const record = join(directory, "shutdown.argv");
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, "shutdown"),
    `#!/bin/sh\nfor argument in "$@"; do printf '%s\\n' "$argument"; done >> '${record}'\nexit 0\n`,
  );
  chmodSync(join(bin, "shutdown"), 0o755);
  return {
    bin,
    argv: () => (existsSync(record) ? readFileSync(record, "utf8").split("\n").slice(0, -1) : []),
  };
}

describe("automation with the compiled agent and the production server", () => {
  test("a policy and a window open now install a security update of tag lab, reboot, and notify, with no admin click", async () => {
    requireAgentBinary();
    const sandbox = new AptSandbox([
      { name: "main", suite: "bookworm", label: "RedFlag Test", origin: "RedFlag" },
      { name: "security", suite: "bookworm-security", label: "Debian-Security", origin: "Debian" },
    ]);
    cleanups.push(() => sandbox.remove());
    const seeds = [
      sandbox.addPackage("main", { name: "rf-plain", version: "1.0-1" }),
      sandbox.addPackage("security", { name: "rf-libsec", version: "2.0-1" }),
    ];
    sandbox.addPackage("main", { name: "rf-plain", version: "1.1-1" });
    sandbox.addPackage("security", {
      name: "rf-libsec",
      version: "2.0-1+deb12u1",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable in the package's script
      postinst: 'touch "${DPKG_ROOT:-}/run/reboot-required"',
    });
    sandbox.publish("main");
    sandbox.publish("security");
    for (const seed of seeds) sandbox.seed(seed);

    const ntfy = startNtfyEndpoint();
    cleanups.push(ntfy.stop);
    const smtp = await startSmtpServer();
    cleanups.push(smtp.stop);

    const { server, admin, data, configPath, env } = await startServerForAgent("automation", cleanups);
    const shutdown = standInShutdown(join(data.path, "standin"));
    await Bun.write(
      configPath,
      JSON.stringify({
        pollJitterSeconds: 0,
        apt: {
          configFile: sandbox.configFile,
          rebootRequiredFile: join(sandbox.fakeRoot, "run/reboot-required"),
        },
      }),
    );

    const events = ["install_succeeded", "install_failed", "automation_summary"] as const;
    await admin.notifications.create.mutate({
      target: {
        kind: "ntfy",
        name: "lab ntfy",
        events: [...events],
        tags: ["lab"],
        config: { serverUrl: ntfy.url, topic: "redflag-lab", priority: 3 },
      },
    });
    await admin.notifications.create.mutate({
      target: {
        kind: "email",
        name: "lab mail",
        events: [...events],
        tags: [],
        config: {
          host: "127.0.0.1",
          port: smtp.port,
          security: "none",
          from: "redflag@lab.example",
          to: ["admin@lab.example"],
        },
      },
    });

    const registration = await admin.registrationTokens.create.mutate({ label: "automation", seats: 1 });
    const { activeFingerprint } = await admin.signingKeys.current.query();
    const registered = await runAgent(
      [
        "--register",
        "--server",
        server.url,
        "--token",
        registration.token,
        "--fingerprint",
        activeFingerprint,
      ],
      env,
    );
    expect(registered.stderr).toBe("");
    expect(registered.exitCode).toBe(0);
    const agentId = idSchema("agent").parse(/Registered as (agt_\w+)/.exec(registered.stdout)?.[1]);
    await admin.agents.configure.mutate({ agentId, tags: ["lab"] });

    const daemon = startDaemon({ ...env, PATH: `${shutdown.bin}:${process.env.PATH ?? "/usr/bin:/bin"}` });
    cleanups.push(() => daemon.stop());
    const updates = await waitFor("both updates on the server", async () => {
      const list = await admin.updates.list.query({ agentId });
      return list.items.length === 2 ? list.items : undefined;
    });
    const security = updates.find((update) => update.packageName === "rf-libsec");
    const plain = updates.find((update) => update.packageName === "rf-plain");
    expect(security).toMatchObject({ security: true, status: "available" });
    expect(plain).toMatchObject({ security: false, status: "available" });
    if (!security || !plain) throw new Error("updates missing");

    const policy = await admin.policies.create.mutate({
      enabled: true,
      policy: { name: "Lab security", action: "approve", securityOnly: true, tags: ["lab"] },
    });
    // Open now: every day at this very minute (UTC), for an hour.
    const now = new Date();
    const window = await admin.maintenanceWindows.create.mutate({
      name: "Lab now",
      schedule: `${now.getUTCMinutes()} ${now.getUTCHours()} * * *`,
      timeZone: "UTC",
      durationMinutes: 60,
      tags: ["lab"],
      installApproved: true,
      reboot: "if_required",
      maxConcurrentReboots: 1,
    });

    // The policy approves, the window installs: both in the audit trail as themselves.
    const installed = await waitFor(
      "the security update installed by the window",
      async () => {
        const list = await admin.updates.list.query({ agentId });
        const row = list.items.find((update) => update.id === security.id);
        return row?.status === "installed" ? row : undefined;
      },
      180_000,
    );
    expect(installed.installedVersion).toBe("2.0-1+deb12u1");
    expect(sandbox.installedVersion("rf-libsec")).toBe("2.0-1+deb12u1");
    expect(sandbox.installedVersion("rf-plain")).toBe("1.0-1");
    const plainNow = (await admin.updates.list.query({ agentId })).items.find(
      (update) => update.id === plain.id,
    );
    expect(plainNow?.status).toBe("available");

    const history = await admin.audit.list.query({ entityType: "update", entityId: security.id });
    const actions = history.items.map((event) => [event.action, event.actorType, event.actorId]);
    expect(actions).toContainEqual([expect.stringMatching(/approve/), "automation", policy.id]);
    const installs = await admin.commands.list.query({ agentId, types: ["install"] });
    expect(installs.items).toHaveLength(1);
    const [install] = installs.items;
    if (!install) throw new Error("no install command");
    expect(install.status).toBe("succeeded");
    const installAudit = await admin.audit.list.query({ entityType: "command", entityId: install.id });
    expect(installAudit.items.map((event) => [event.actorType, event.actorId])).toContainEqual([
      "automation",
      window.id,
    ]);

    // The package asked for a reboot: the window reboots the host through its shutdown.
    await waitFor(
      "shutdown -r run by the agent",
      async () => (shutdown.argv().includes("-r") ? true : undefined),
      120_000,
    );
    expect(shutdown.argv()[0]).toBe("-r");
    const reboots = await admin.commands.list.query({ agentId, types: ["reboot"] });
    expect(reboots.items).toHaveLength(1);

    // Both targets heard of the install: ntfy in its JSON format, e-mail through the SMTP server.
    await waitFor("the ntfy message", async () =>
      ntfy.messages.some((message) => message.tags.includes("install_succeeded")) ? true : undefined,
    );
    const told = ntfy.messages.find((message) => message.tags.includes("install_succeeded"));
    expect(told?.topic).toBe("redflag-lab");
    expect(`${told?.title} ${told?.message}`).toContain("rf-libsec");
    expect(ntfy.refusals).toEqual([]);
    await waitFor("the e-mail", async () =>
      smtp.mails.some((mail) => mail.data.includes("rf-libsec")) ? true : undefined,
    );
    const mail = smtp.mails.find((entry) => entry.data.includes("rf-libsec"));
    expect(mail?.from).toBe("redflag@lab.example");
    expect(mail?.to).toEqual(["admin@lab.example"]);
    const deliveries = await admin.notifications.deliveries.query({});
    expect(deliveries.rows.filter((delivery) => delivery.status === "failed")).toEqual([]);
  }, 400_000);
});
