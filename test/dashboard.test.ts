import { describe, expect, test } from "bun:test";
import { rollbackCandidates } from "@redflag/contracts";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { errorCodeOf, type TestServer, useTestServer } from "./harness/server.ts";

let server: TestServer;
useTestServer((started) => {
  server = started;
});

describe("dashboard summaries", () => {
  test("the overview counts agents, waiting updates and finished installs per day", async () => {
    const admin = await signIn(server, "operator");
    const before = await admin.client.dashboard.overview.query({ days: 7 });
    const agent = await registerAgent(server, admin);
    await agent.client.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: true });
    await agent.client.agent.reportScan.mutate(
      scanReport([
        aptItem("openssl", { severity: "critical", security: true }),
        aptItem("curl", { severity: "moderate" }),
      ]),
    );
    const { items } = await admin.client.updates.list.query({ agentId: agent.agentId });
    const openssl = items.find((item) => item.packageName === "openssl");
    const curl = items.find((item) => item.packageName === "curl");
    if (!openssl || !curl) throw new Error("updates missing");
    await admin.client.updates.approve.mutate({ updateIds: [curl.id] });
    const listed = await admin.client.agents.list.query({ search: agent.agentId });
    expect(listed.items).toEqual([
      expect.objectContaining({
        id: agent.agentId,
        pendingUpdates: 2,
        securityUpdates: 1,
        rebootRequired: true,
      }),
    ]);

    const waiting = await admin.client.dashboard.overview.query({ days: 7 });
    expect(waiting.agents.total).toBe(before.agents.total + 1);
    expect(waiting.agents.online).toBe(before.agents.online + 1);
    expect(waiting.agents.rebootRequired).toBe(before.agents.rebootRequired + 1);
    expect(waiting.rebootRequiredHosts.map((host) => host.id)).toContain(agent.agentId);
    expect(waiting.pending.total).toBe(before.pending.total + 2);
    expect(waiting.pending.security).toBe(before.pending.security + 1);
    expect(waiting.pending.approved).toBe(before.pending.approved + 1);
    expect(waiting.pending.bySeverity.critical).toBe(before.pending.bySeverity.critical + 1);
    expect(waiting.pending.byPackageType.apt).toBe(before.pending.byPackageType.apt + 2);
    expect(waiting.installs).toHaveLength(7);

    const { commandIds } = await admin.client.updates.install.mutate({ updateIds: [openssl.id, curl.id] });
    const [commandId] = commandIds;
    if (!commandId) throw new Error("no command queued");
    await agent.client.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: true });
    await agent.client.agent.reportResult.mutate({
      commandId,
      status: "failed",
      exitCode: 100,
      output: "E: curl could not be fetched",
      startedAt: new Date(),
      finishedAt: new Date(),
      items: [
        {
          updateId: openssl.id,
          status: "installed",
          installedVersion: openssl.availableVersion,
          message: "",
        },
        { updateId: curl.id, status: "failed", installedVersion: null, message: "fetch failed" },
      ],
    });
    const after = await admin.client.dashboard.overview.query({ days: 7 });
    const today = after.installs.at(-1);
    expect(today?.day).toBe(new Date().toISOString().slice(0, 10));
    expect(today?.failed).toBe((before.installs.at(-1)?.failed ?? 0) + 1);
    expect(after.recentFailures.map((failure) => failure.id)).toContain(commandId);

    const activity = await admin.client.dashboard.activity.query();
    expect(activity.checkInsLastMinute).toBeGreaterThanOrEqual(1);
    expect(activity.recentErrors.some((error) => error.commandId === commandId)).toBe(true);
  });

  test("a failed command is described by its real error, not by its last progress line", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.reportScan.mutate(scanReport([aptItem("nginx-fails"), aptItem("vim-fails")]));
    const { items } = await admin.client.updates.list.query({ agentId: agent.agentId });
    const nginx = items.find((item) => item.packageName === "nginx-fails");
    if (!nginx) throw new Error("update missing");
    const vim = items.find((item) => item.packageName === "vim-fails");
    if (!vim) throw new Error("update missing");
    const finish = async (
      updateIds: (typeof nginx.id)[],
      report: { output: string; items?: { updateId: typeof nginx.id; message: string }[] },
    ) => {
      const [commandId] = (await admin.client.updates.install.mutate({ updateIds })).commandIds;
      if (!commandId) throw new Error("no command queued");
      await agent.client.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: false });
      await agent.client.agent.reportProgress.mutate({
        commandId,
        percent: 60,
        message: "Reading database ... 60%",
      });
      await agent.client.agent.reportResult.mutate({
        commandId,
        status: "failed",
        exitCode: 100,
        output: report.output,
        startedAt: new Date(),
        finishedAt: new Date(),
        items: (report.items ?? []).map((item) => ({
          updateId: item.updateId,
          status: "failed" as const,
          installedVersion: null,
          message: item.message,
        })),
      });
      return commandId;
    };
    const byItems = await finish([nginx.id], {
      output: "Reading database ... 60%\n",
      items: [{ updateId: nginx.id, message: "dpkg: error processing package nginx-fails (--configure)" }],
    });
    const byOutput = await finish([vim.id], {
      output:
        "Reading package lists...\nE: Unable to fetch some archives, maybe run apt-get update\nReading database ... 100%\n",
    });
    const overview = await admin.client.dashboard.overview.query({ days: 7 });
    const activity = await admin.client.dashboard.activity.query();
    for (const failures of [overview.recentFailures, activity.recentErrors]) {
      const messageOf = (commandId: string) =>
        failures.find((failure) => ("id" in failure ? failure.id : failure.commandId) === commandId)?.message;
      expect(messageOf(byItems)).toBe(
        "install failed (exit code 100): dpkg: error processing package nginx-fails (--configure)",
      );
      expect(messageOf(byOutput)).toBe(
        "install failed (exit code 100): E: Unable to fetch some archives, maybe run apt-get update",
      );
    }
  });

  test("scanner errors show among the recent errors", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.reportScan.mutate({
      scanners: [{ packageType: "dnf", status: "error", error: "dnf: repository metadata unreachable" }],
      startedAt: new Date(),
      finishedAt: new Date(),
    });
    const activity = await admin.client.dashboard.activity.query();
    expect(activity.recentErrors).toContainEqual(
      expect.objectContaining({
        source: "scan",
        agentId: agent.agentId,
        message: "dnf scan failed: dnf: repository metadata unreachable",
      }),
    );
  });
});

describe("rollback", () => {
  test("rolls back what an install put in, and the update is offered again", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.reportScan.mutate(scanReport([aptItem("nginx")]));
    const [update] = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
    if (!update) throw new Error("update missing");
    const { commandIds } = await admin.client.updates.install.mutate({ updateIds: [update.id] });
    const installId = commandIds[0] as string;
    expect(await errorCodeOf(admin.client.commands.rollback.mutate({ commandId: installId }))).toBe(
      "CONFLICT",
    );
    await agent.client.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: false });
    await agent.client.agent.reportResult.mutate({
      commandId: installId,
      status: "succeeded",
      exitCode: 0,
      output: "",
      startedAt: new Date(),
      finishedAt: new Date(),
      items: [
        {
          updateId: update.id,
          status: "installed",
          installedVersion: "1.0-2",
          message: "",
          rollbackAvailable: true,
        },
      ],
    });
    const rollback = await admin.client.commands.rollback.mutate({ commandId: installId });
    expect(rollback).toMatchObject({ type: "rollback", parameters: { rollbackOf: installId } });
    expect(rollback.targets.map((target) => target.updateId)).toEqual([update.id]);
    const leased = await agent.client.agent.checkIn.mutate({
      agentVersion: "0.1.0",
      metrics: {},
      rebootRequired: false,
    });
    expect(leased.commands.map((command) => command.id)).toEqual([rollback.id]);
    await agent.client.agent.reportResult.mutate({
      commandId: rollback.id,
      status: "succeeded",
      exitCode: 0,
      output: "",
      startedAt: new Date(),
      finishedAt: new Date(),
      items: [{ updateId: update.id, status: "installed", installedVersion: "1.0-1", message: "" }],
    });
    const [after] = (
      await admin.client.updates.list.query({ agentId: agent.agentId, statuses: ["available"] })
    ).items;
    expect(after).toMatchObject({ id: update.id, status: "available", currentVersion: "1.0-1" });
  });

  test("is refused when the installer did not say the previous version can still be installed", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.reportScan.mutate(scanReport([aptItem("gone"), aptItem("unknown")]));
    const updates = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
    const { commandIds } = await admin.client.updates.install.mutate({
      updateIds: updates.map((update) => update.id),
    });
    const installId = commandIds[0] as string;
    await agent.client.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: false });
    await agent.client.agent.reportResult.mutate({
      commandId: installId,
      status: "succeeded",
      exitCode: 0,
      output: "",
      startedAt: new Date(),
      finishedAt: new Date(),
      // One whose previous version is gone from every source, one whose installer cannot tell.
      items: updates.map((update) => ({
        updateId: update.id,
        status: "installed" as const,
        installedVersion: update.availableVersion,
        message: "",
        ...(update.packageName === "gone" ? { rollbackAvailable: false } : {}),
      })),
    });
    const refused = admin.client.commands.rollback.mutate({ commandId: installId });
    expect(await errorCodeOf(refused)).toBe("CONFLICT");
    await expect(admin.client.commands.rollback.mutate({ commandId: installId })).rejects.toThrow(
      /previous version can still be installed/,
    );
    const install = await admin.client.commands.get.query({ commandId: installId });
    expect(rollbackCandidates(install)).toEqual([]);
  });

  test("a viewer may not roll back", async () => {
    const viewer = await signIn(server, "viewer");
    expect(
      await errorCodeOf(
        viewer.client.commands.rollback.mutate({ commandId: "cmd_00000000000000000000000000" }),
      ),
    ).toBe("FORBIDDEN");
  });
});

describe("list searches and sorts (served by trigram and sort indexes)", () => {
  test("updates match a part of the package name or of the host name; severity sorts by urgency", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.reportScan.mutate(
      scanReport([
        aptItem("libssl3-search", { severity: "low" }),
        aptItem("zlib1g-search", { severity: "critical" }),
        aptItem("curl-search", { severity: "moderate" }),
      ]),
    );
    const { hostname } = await admin.client.agents.get.query({ agentId: agent.agentId });
    const bySubstring = await admin.client.updates.list.query({ search: "ssl3-sea" });
    expect(bySubstring.items.map((item) => item.packageName)).toEqual(["libssl3-search"]);
    expect(bySubstring.total).toBe(1);
    const byHost = await admin.client.updates.list.query({ search: hostname, sort: "severity" });
    // Another host's name may contain this one's (host-1 in host-12): look at this agent's rows.
    const ofThisHost = byHost.items.filter((item) => item.agentId === agent.agentId);
    expect(ofThisHost.map((item) => item.packageName)).toEqual([
      "zlib1g-search",
      "curl-search",
      "libssl3-search",
    ]);
    const percent = await admin.client.updates.list.query({ search: "%" });
    expect(percent.total).toBe(0);
  });

  test("agents match a part of the hostname, the OS name, or their whole id; deep pages count updates", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.reportScan.mutate(scanReport([aptItem("bash"), aptItem("coreutils")]));
    const { hostname } = await admin.client.agents.get.query({ agentId: agent.agentId });
    expect(
      (await admin.client.agents.list.query({ search: hostname.slice(1) })).items.map((item) => item.id),
    ).toContain(agent.agentId);
    expect((await admin.client.agents.list.query({ search: agent.agentId })).items).toEqual([
      expect.objectContaining({ id: agent.agentId, pendingUpdates: 2 }),
    ]);
    const all = await admin.client.agents.list.query({ pageSize: 1, sort: "createdAt", direction: "desc" });
    expect(all.items).toEqual([expect.objectContaining({ id: agent.agentId, pendingUpdates: 2 })]);
  });
});
