import { describe, expect, test } from "bun:test";
import { agents } from "@redflag/db";
import { eq } from "drizzle-orm";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { type TestServer, useTestServer } from "./harness/server.ts";

let server: TestServer;
useTestServer((started) => {
  server = started;
});

describe("the agent protocol over HTTP", () => {
  test("register → check in → report scan → approve and install → lease → result → installed", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    expect(agent.agentId).toMatch(/^agt_/);
    expect(agent.pollIntervalSeconds).toBe(300);
    expect(agent.accessTokenExpiresAt.getTime() - Date.now()).toBeGreaterThan(23 * 3600 * 1000);

    const first = await agent.client.agent.checkIn.mutate({
      agentVersion: "0.1.0",
      metrics: { cpuPercent: 12.5, memoryUsedBytes: 1_000, memoryTotalBytes: 4_000, uptimeSeconds: 60 },
      rebootRequired: false,
    });
    expect(first.commands).toEqual([]);
    expect(first.pollIntervalSeconds).toBe(300);
    expect(first.rapidModeUntil).toBeNull();

    const report = await agent.client.agent.reportScan.mutate(
      scanReport([
        aptItem("openssl", {
          currentVersion: "3.0.15-1~deb12u1",
          availableVersion: "3.0.17-1~deb12u2",
          security: true,
          severity: "important",
          cves: ["CVE-2025-1234"],
          source: "Debian-Security:12/bookworm-security",
        }),
        aptItem("libc6", { currentVersion: "2.36-9+deb12u9", availableVersion: "2.36-9+deb12u10" }),
      ]),
    );
    expect(report).toMatchObject({ opened: 2, changed: 0, closed: 0, unchanged: 0 });

    const listed = await admin.client.updates.list.query({ agentId: agent.agentId, sort: "packageName" });
    expect(listed.total).toBe(2);
    expect(listed.items.map((item) => [item.packageName, item.status, item.security])).toEqual([
      ["libc6", "available", false],
      ["openssl", "available", true],
    ]);
    const security = await admin.client.updates.list.query({ agentId: agent.agentId, security: true });
    expect(security.items.map((item) => item.packageName)).toEqual(["openssl"]);
    const openssl = security.items[0];
    if (!openssl) throw new Error("openssl update missing");
    expect(openssl.cves).toEqual(["CVE-2025-1234"]);
    expect(openssl.severity).toBe("important");

    expect(await admin.client.updates.approve.mutate({ updateIds: [openssl.id] })).toEqual({ changed: 1 });
    const { commandIds } = await admin.client.updates.install.mutate({ updateIds: [openssl.id] });
    expect(commandIds).toHaveLength(1);
    const commandId = commandIds[0] as string;

    const second = await agent.client.agent.checkIn.mutate({
      agentVersion: "0.1.0",
      metrics: {},
      rebootRequired: true,
    });
    expect(second.commands).toHaveLength(1);
    const leased = second.commands[0];
    expect(leased).toMatchObject({ id: commandId, type: "install", attempt: 1 });
    expect(leased?.targets).toEqual([
      {
        updateId: openssl.id,
        packageType: "apt",
        packageName: "openssl",
        target: "",
        currentVersion: "3.0.15-1~deb12u1",
        availableVersion: "3.0.17-1~deb12u2",
      },
    ]);
    // A leased command is not handed out again at the next check-in.
    const third = await agent.client.agent.checkIn.mutate({
      agentVersion: "0.1.0",
      metrics: {},
      rebootRequired: true,
    });
    expect(third.commands).toEqual([]);

    const progress = await agent.client.agent.reportProgress.mutate({
      commandId,
      percent: 40,
      message: "Unpacking openssl",
    });
    expect(progress).toMatchObject({ accepted: true, cancelled: false });
    const running = await admin.client.commands.get.query({ commandId });
    expect(running.status).toBe("running");
    expect(running.progressPercent).toBe(40);

    const started = new Date(Date.now() - 2000);
    const result = await agent.client.agent.reportResult.mutate({
      commandId,
      status: "succeeded",
      exitCode: 0,
      output: "Setting up openssl (3.0.17-1~deb12u2) ...",
      startedAt: started,
      finishedAt: new Date(),
      items: [
        { updateId: openssl.id, status: "installed", installedVersion: "3.0.17-1~deb12u2", message: "" },
      ],
    });
    expect(result).toEqual({ accepted: true, duplicate: false, commandStatus: "succeeded" });

    const after = await admin.client.updates.list.query({ agentId: agent.agentId, statuses: ["installed"] });
    expect(after.items.map((item) => [item.packageName, item.installedVersion])).toEqual([
      ["openssl", "3.0.17-1~deb12u2"],
    ]);
    const detail = await admin.client.commands.get.query({ commandId });
    expect(detail.status).toBe("succeeded");
    expect(detail.exitCode).toBe(0);
    expect(detail.logs.map((log) => log.kind)).toEqual(["leased", "progress", "result"]);

    // The same result again (an agent retrying after a lost answer) changes nothing.
    const again = await agent.client.agent.reportResult.mutate({
      commandId,
      status: "failed",
      exitCode: 1,
      output: "",
      startedAt: started,
      finishedAt: new Date(),
      items: [],
    });
    expect(again).toEqual({ accepted: true, duplicate: true, commandStatus: "succeeded" });
    expect((await admin.client.commands.get.query({ commandId })).status).toBe("succeeded");

    const agentDetail = await admin.client.agents.get.query({ agentId: agent.agentId });
    expect(agentDetail.online).toBe(true);
    expect(agentDetail.rebootRequired).toBe(true);
    expect(agentDetail.updateCounts).toEqual({ available: 1, installed: 1 });

    const audit = await admin.client.audit.list.query({ entityType: "update", entityId: openssl.id });
    expect(audit.items.map((event) => event.action).reverse()).toEqual([
      "update.available",
      "update.approved",
      "update.installing",
      "update.installed",
    ]);
  });

  test("an installed version other than the one offered marks the update failed", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.reportScan.mutate(
      scanReport([aptItem("curl", { availableVersion: "7.88.1-10+deb12u12" })]),
    );
    const [update] = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
    if (!update) throw new Error("update missing");
    const { commandIds } = await admin.client.updates.install.mutate({ updateIds: [update.id] });
    await agent.client.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: false });
    await agent.client.agent.reportResult.mutate({
      commandId: commandIds[0] as string,
      status: "succeeded",
      exitCode: 0,
      output: "",
      startedAt: new Date(),
      finishedAt: new Date(),
      items: [
        { updateId: update.id, status: "installed", installedVersion: "7.88.1-10+deb12u11", message: "" },
      ],
    });
    const [after] = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
    expect(after?.status).toBe("failed");
  });

  test("rapid mode shortens the poll interval until its deadline", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await admin.client.agents.configure.mutate({ agentId: agent.agentId, rapidModeMinutes: 10 });
    const checkIn = await agent.client.agent.checkIn.mutate({
      agentVersion: "0.1.0",
      metrics: {},
      rebootRequired: false,
    });
    expect(checkIn.pollIntervalSeconds).toBe(5);
    expect(checkIn.rapidModeUntil?.getTime()).toBeGreaterThan(Date.now() + 9 * 60_000);
    await admin.client.agents.configure.mutate({
      agentId: agent.agentId,
      rapidModeMinutes: 0,
      pollIntervalSeconds: 60,
    });
    const normal = await agent.client.agent.checkIn.mutate({
      agentVersion: "0.1.0",
      metrics: {},
      rebootRequired: false,
    });
    expect(normal.pollIntervalSeconds).toBe(60);
    expect(normal.rapidModeUntil).toBeNull();
  });

  test("an agent silent for three poll intervals shows as offline", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await admin.client.agents.configure.mutate({ agentId: agent.agentId, pollIntervalSeconds: 60 });
    await agent.client.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: false });
    expect((await admin.client.agents.get.query({ agentId: agent.agentId })).online).toBe(true);
    const silentSince = async (seconds: number) => {
      await server.api.db
        .update(agents)
        .set({ lastCheckInAt: new Date(Date.now() - seconds * 1000) })
        .where(eq(agents.id, agent.agentId));
      return (await admin.client.agents.get.query({ agentId: agent.agentId })).online;
    };
    expect(await silentSince(170)).toBe(true);
    expect(await silentSince(190)).toBe(false);
    const offline = await admin.client.agents.list.query({ presence: "offline" });
    expect(offline.items.map((item) => item.id)).toContain(agent.agentId);
    const online = await admin.client.agents.list.query({ presence: "online" });
    expect(online.items.map((item) => item.id)).not.toContain(agent.agentId);
  });
});
