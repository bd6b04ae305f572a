import { describe, expect, test } from "bun:test";
import type { CommandId, ItemOutcome, UpdateId } from "@redflag/contracts";
import { auditEvents, commands } from "@redflag/db";
import { and, asc, eq } from "drizzle-orm";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { type TestServer, useTestServer } from "./harness/server.ts";

// A result that arrives after the command ended without one (its lease ran out on the last attempt,
// or an admin cancelled it while the agent already had it) is still the truth of what ran on the host.

let server: TestServer;
useTestServer((started) => {
  server = started;
});

const checkIn = { agentVersion: "0.1.0", metrics: {}, rebootRequired: false };

async function expireLeaseOf(commandId: CommandId) {
  await server.api.db
    .update(commands)
    .set({ leaseExpiresAt: new Date(Date.now() - 1000) })
    .where(eq(commands.id, commandId));
}

/** An install of `names` leased to a fresh agent. */
async function leasedInstall(names: string[]) {
  const admin = await signIn(server, "operator");
  const agent = await registerAgent(server, admin);
  await agent.client.agent.reportScan.mutate(scanReport(names.map((name) => aptItem(name))));
  const listed = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
  const updateIds = names.map((name) => {
    const found = listed.find((update) => update.packageName === name);
    if (!found) throw new Error(`update ${name} missing`);
    return found.id;
  });
  const { commandIds } = await admin.client.updates.install.mutate({ updateIds });
  const [commandId] = commandIds;
  if (!commandId) throw new Error("no command queued");
  const leased = await agent.client.agent.checkIn.mutate(checkIn);
  expect(leased.commands.map((command) => command.id)).toEqual([commandId]);
  // The agent's next check-in lists what it holds, which acknowledges the command's delivery.
  await agent.client.agent.checkIn.mutate({ ...checkIn, runningCommandIds: [commandId] });
  return { admin, agent, commandId, updateIds };
}

/** Times the leased install out the way the server does: its lease runs out and the agent checks in. */
async function timeOut(setup: Awaited<ReturnType<typeof leasedInstall>>) {
  await expireLeaseOf(setup.commandId);
  expect((await setup.agent.client.agent.checkIn.mutate(checkIn)).commands).toEqual([]);
  expect((await setup.admin.client.commands.get.query({ commandId: setup.commandId })).status).toBe(
    "timed_out",
  );
}

function reportFor(
  commandId: CommandId,
  status: "succeeded" | "failed",
  items: { updateId: UpdateId; status: ItemOutcome["status"]; installedVersion?: string }[],
) {
  return {
    commandId,
    status,
    exitCode: status === "succeeded" ? 0 : 100,
    output: "",
    startedAt: new Date(),
    finishedAt: new Date(),
    items: items.map((item) => ({
      updateId: item.updateId,
      status: item.status,
      installedVersion: item.installedVersion ?? (item.status === "installed" ? "1.0-2" : null),
      message: item.status === "installed" ? "" : "dpkg was interrupted",
    })),
  };
}

async function statusesOf(setup: Awaited<ReturnType<typeof leasedInstall>>) {
  const listed = (await setup.admin.client.updates.list.query({ agentId: setup.agent.agentId })).items;
  return setup.updateIds.map((id) => {
    const update = listed.find((row) => row.id === id);
    return [update?.status, update?.installedVersion ?? null];
  });
}

async function auditOf(entityId: string) {
  return server.api.db
    .select({ action: auditEvents.action, before: auditEvents.before, after: auditEvents.after })
    .from(auditEvents)
    .where(and(eq(auditEvents.entityId, entityId)))
    .orderBy(asc(auditEvents.createdAt), asc(auditEvents.id));
}

describe("a result reported after the command timed out", () => {
  test("a late success: the command succeeds, its log says the result came late, and its updates end installed", async () => {
    const setup = await leasedInstall(["bash"]);
    await timeOut(setup);
    expect(await statusesOf(setup)).toEqual([["failed", null]]);
    const [updateId] = setup.updateIds as [UpdateId];

    const answer = await setup.agent.client.agent.reportResult.mutate(
      reportFor(setup.commandId, "succeeded", [{ updateId, status: "installed" }]),
    );
    expect(answer).toEqual({ accepted: true, duplicate: false, commandStatus: "succeeded" });

    const detail = await setup.admin.client.commands.get.query({ commandId: setup.commandId });
    expect(detail.status).toBe("succeeded");
    expect(detail.leaseExpiresAt).toBeNull();
    const kinds = detail.logs.map((log) => log.kind);
    expect(kinds).toEqual(["leased", "lease_expired", "result"]);
    expect(detail.logs.at(-1)?.message).toBe(
      "succeeded (exit code 0), reported after the command was timed out: recorded as reported",
    );
    expect(await statusesOf(setup)).toEqual([["installed", "1.0-2"]]);
    const updateHistory = await auditOf(updateId);
    expect(updateHistory.map((event) => event.action)).toEqual([
      "update.installing",
      "update.failed",
      "update.installed",
    ]);
    expect(updateHistory.at(-1)?.after).toMatchObject({
      status: "installed",
      installedVersion: "1.0-2",
      reason: "installed, reported after the command was timed out",
    });
    const commandHistory = await auditOf(setup.commandId);
    expect(commandHistory.at(-1)).toMatchObject({
      action: "command.succeeded",
      before: { status: "timed_out" },
      after: { status: "succeeded", late: true },
    });

    // The agent's outbox sends it again: nothing changes.
    const again = await setup.agent.client.agent.reportResult.mutate(
      reportFor(setup.commandId, "succeeded", [{ updateId, status: "installed" }]),
    );
    expect(again).toEqual({ accepted: true, duplicate: true, commandStatus: "succeeded" });
    expect(await statusesOf(setup)).toEqual([["installed", "1.0-2"]]);
    expect(await auditOf(updateId)).toHaveLength(3);
  });

  test("each update ends as its own outcome says: installed, a version other than offered, failed, none", async () => {
    const setup = await leasedInstall(["curl", "wget", "tar", "gzip"]);
    await timeOut(setup);
    const [curl, wget, tar, gzip] = setup.updateIds as [UpdateId, UpdateId, UpdateId, UpdateId];
    await setup.agent.client.agent.reportResult.mutate(
      reportFor(setup.commandId, "failed", [
        { updateId: curl, status: "installed" },
        { updateId: wget, status: "installed", installedVersion: "1.0-3" },
        { updateId: tar, status: "failed" },
      ]),
    );
    expect((await setup.admin.client.commands.get.query({ commandId: setup.commandId })).status).toBe(
      "failed",
    );
    expect(await statusesOf(setup)).toEqual([
      ["installed", "1.0-2"],
      ["failed", "1.0-3"],
      ["failed", null],
      ["failed", null],
    ]);
    expect((await auditOf(wget)).at(-1)?.after).toMatchObject({
      reason: "installed version 1.0-3 is not the offered 1.0-2, reported after the command was timed out",
    });
    // What the host did not change keeps the timeout's one event.
    for (const unchanged of [tar, gzip]) {
      expect((await auditOf(unchanged)).map((event) => event.action)).toEqual([
        "update.installing",
        "update.failed",
      ]);
    }
  });

  test("an update a retry took over stays with the retry; the timed-out command still records its result", async () => {
    const setup = await leasedInstall(["openssl"]);
    await timeOut(setup);
    const [updateId] = setup.updateIds as [UpdateId];
    const retry = await setup.admin.client.commands.retry.mutate({ commandId: setup.commandId });
    expect(await statusesOf(setup)).toEqual([["installing", null]]);

    await setup.agent.client.agent.reportResult.mutate(
      reportFor(setup.commandId, "succeeded", [{ updateId, status: "installed" }]),
    );
    expect((await setup.admin.client.commands.get.query({ commandId: setup.commandId })).status).toBe(
      "succeeded",
    );
    expect(await statusesOf(setup)).toEqual([["installing", null]]);

    // The retry's own result then settles it.
    await setup.agent.client.agent.checkIn.mutate(checkIn);
    await setup.agent.client.agent.reportResult.mutate(
      reportFor(retry.id, "succeeded", [{ updateId, status: "installed" }]),
    );
    expect(await statusesOf(setup)).toEqual([["installed", "1.0-2"]]);
  });
});

describe("a result reported after the command was cancelled", () => {
  test("an install the agent had already received and ran: its updates end installed", async () => {
    const setup = await leasedInstall(["zlib1g", "libc6"]);
    await setup.admin.client.commands.cancel.mutate({ commandId: setup.commandId });
    expect(await statusesOf(setup)).toEqual([
      ["approved", null],
      ["approved", null],
    ]);
    const [zlib, libc] = setup.updateIds as [UpdateId, UpdateId];
    await setup.agent.client.agent.reportResult.mutate(
      reportFor(setup.commandId, "failed", [
        { updateId: zlib, status: "installed" },
        { updateId: libc, status: "failed" },
      ]),
    );
    const detail = await setup.admin.client.commands.get.query({ commandId: setup.commandId });
    expect(detail.status).toBe("failed");
    expect(detail.logs.at(-1)?.message).toBe(
      "failed (exit code 100), reported after the command was cancelled: recorded as reported",
    );
    // The failed one is left as the cancel left it: still to install.
    expect(await statusesOf(setup)).toEqual([
      ["installed", "1.0-2"],
      ["approved", null],
    ]);
  });
});
