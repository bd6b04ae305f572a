import { describe, expect, test } from "bun:test";
import { maxUnacknowledgedOffers } from "@redflag/api";
import { expireLeases } from "@redflag/api/services/commands/expire-leases.ts";
import type { CommandId } from "@redflag/contracts";
import { commands } from "@redflag/db";
import { eq } from "drizzle-orm";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { type TestServer, useTestServer } from "./harness/server.ts";

let server: TestServer;
useTestServer((started) => {
  server = started;
});

const checkIn = { agentVersion: "0.1.0", metrics: {}, rebootRequired: false };

/** Moves a command's lease into the past, as if the agent had gone silent for longer than the lease. */
async function expireLeaseOf(commandId: CommandId) {
  await server.api.db
    .update(commands)
    .set({ leaseExpiresAt: new Date(Date.now() - 1000) })
    .where(eq(commands.id, commandId));
}

async function setUpInstall() {
  const admin = await signIn(server, "operator");
  const agent = await registerAgent(server, admin);
  await agent.client.agent.reportScan.mutate(scanReport([aptItem("bash")]));
  const [update] = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
  if (!update) throw new Error("update missing");
  const { commandIds } = await admin.client.updates.install.mutate({ updateIds: [update.id] });
  const [commandId] = commandIds;
  if (!commandId) throw new Error("no command queued");
  return { admin, agent, update, commandId };
}

describe("command leases", () => {
  test("an expired scan is handed out again, then times out after the last attempt", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const { id: commandId } = await admin.client.agents.requestCommand.mutate({
      agentId: agent.agentId,
      type: "scan",
    });
    for (let attempt = 1; attempt <= 3; attempt++) {
      const answer = await agent.client.agent.checkIn.mutate(checkIn);
      expect(answer.commands.map((command) => [command.id, command.attempt])).toEqual([[commandId, attempt]]);
      // The agent confirms it holds the scan (its next check-in lists it), then goes silent.
      await agent.client.agent.checkIn.mutate({ ...checkIn, runningCommandIds: [commandId] });
      await expireLeaseOf(commandId);
    }
    const last = await agent.client.agent.checkIn.mutate(checkIn);
    expect(last.commands).toEqual([]);
    const detail = await admin.client.commands.get.query({ commandId });
    expect(detail.status).toBe("timed_out");
    expect(detail.attempt).toBe(3);
    expect(detail.logs.filter((log) => log.kind === "lease_expired")).toHaveLength(3);
  });

  test("an install is never handed out twice: its expired lease times it out, and a retry is a new command", async () => {
    const { admin, agent, update, commandId } = await setUpInstall();
    const first = await agent.client.agent.checkIn.mutate(checkIn);
    expect(first.commands.map((command) => [command.id, command.attempt])).toEqual([[commandId, 1]]);
    await agent.client.agent.checkIn.mutate({ ...checkIn, runningCommandIds: [commandId] });
    await expireLeaseOf(commandId);
    expect((await agent.client.agent.checkIn.mutate(checkIn)).commands).toEqual([]);
    const detail = await admin.client.commands.get.query({ commandId });
    expect(detail.status).toBe("timed_out");
    expect(detail.maxAttempts).toBe(1);
    expect(detail.logs.filter((log) => log.kind === "leased")).toHaveLength(1);
    expect(detail.logs.find((log) => log.kind === "lease_expired")?.message).toContain("Not sent again");
    const [after] = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
    expect(after?.status).toBe("failed");

    const retry = await admin.client.commands.retry.mutate({ commandId });
    expect(retry.retryOf).toBe(commandId);
    expect(retry.status).toBe("pending");
    expect(retry.targets.map((target) => target.updateId)).toEqual([update.id]);
    const leased = await agent.client.agent.checkIn.mutate(checkIn);
    expect(leased.commands.map((command) => command.id)).toEqual([retry.id]);
    const [installing] = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
    expect(installing?.status).toBe("installing");
  });

  test("a delivery never acknowledged is offered again without spending an attempt, install included", async () => {
    const { admin, agent, commandId } = await setUpInstall();
    const first = await agent.client.agent.checkIn.mutate(checkIn);
    expect(first.commands.map((command) => [command.id, command.attempt])).toEqual([[commandId, 1]]);
    const sent = await admin.client.commands.get.query({ commandId });
    // The short lease of a delivery not yet confirmed: about a minute, not the 15 of a held command.
    expect(sent.leaseExpiresAt?.getTime()).toBeLessThan(Date.now() + 2 * 60_000);
    // The answer was lost on the way: the agent never lists the command, and the short lease runs out.
    await expireLeaseOf(commandId);
    const again = await agent.client.agent.checkIn.mutate(checkIn);
    expect(again.commands.map((command) => [command.id, command.attempt])).toEqual([[commandId, 1]]);
    // Acknowledged by the next check-in listing it: the lease becomes the long one.
    await agent.client.agent.checkIn.mutate({ ...checkIn, runningCommandIds: [commandId] });
    const held = await admin.client.commands.get.query({ commandId });
    expect(held.status).toBe("sent");
    expect(held.attempt).toBe(1);
    expect(held.leaseExpiresAt?.getTime()).toBeGreaterThan(Date.now() + 10 * 60_000);
    expect(held.logs.map((log) => log.kind)).toEqual(["leased", "lease_expired", "leased"]);
    expect(held.logs[1]?.message).toContain("no attempt spent");
    const [update] = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
    expect(update?.status).toBe("installing");
  });

  test("an agent that never acknowledges spends attempts again after a few offers", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const { id: commandId } = await admin.client.agents.requestCommand.mutate({
      agentId: agent.agentId,
      type: "scan",
    });
    const attempts: number[] = [];
    for (let offer = 0; offer < maxUnacknowledgedOffers + 3; offer++) {
      const answer = await agent.client.agent.checkIn.mutate(checkIn);
      attempts.push(...answer.commands.map((command) => command.attempt));
      await expireLeaseOf(commandId);
    }
    expect(attempts).toEqual([...Array(maxUnacknowledgedOffers + 1).fill(1), 2, 3]);
    expect((await agent.client.agent.checkIn.mutate(checkIn)).commands).toEqual([]);
    const detail = await admin.client.commands.get.query({ commandId });
    expect(detail.status).toBe("timed_out");
  });

  test("a check-in naming the commands the agent holds extends their leases, and only those", async () => {
    const { admin, agent, commandId } = await setUpInstall();
    await agent.client.agent.checkIn.mutate(checkIn);
    const other = await registerAgent(server, admin);
    const { id: othersScan } = await admin.client.agents.requestCommand.mutate({
      agentId: other.agentId,
      type: "scan",
    });
    await other.client.agent.checkIn.mutate(checkIn);
    await expireLeaseOf(commandId);
    await expireLeaseOf(othersScan);
    // The agent names its own install and, falsely, the other agent's scan.
    const answer = await agent.client.agent.checkIn.mutate({
      ...checkIn,
      runningCommandIds: [commandId, othersScan],
    });
    expect(answer.commands).toEqual([]);
    const held = await admin.client.commands.get.query({ commandId });
    expect(held.status).toBe("sent");
    expect(held.leaseExpiresAt?.getTime()).toBeGreaterThan(Date.now() + 60_000);
    const othersLease = (await admin.client.commands.get.query({ commandId: othersScan })).leaseExpiresAt;
    expect(othersLease?.getTime()).toBeLessThan(Date.now());
  });

  test("the server-wide sweep takes back expired leases without a check-in", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const { id: commandId } = await admin.client.agents.requestCommand.mutate({
      agentId: agent.agentId,
      type: "scan",
    });
    await agent.client.agent.checkIn.mutate(checkIn);
    await expireLeaseOf(commandId);
    const swept = await server.api.db.transaction((tx) => expireLeases(tx, {}));
    expect(swept.expired).toBeGreaterThanOrEqual(1);
    expect((await admin.client.commands.get.query({ commandId })).status).toBe("pending");
  });

  test("progress extends the lease of a running command", async () => {
    const { admin, agent, commandId } = await setUpInstall();
    await agent.client.agent.checkIn.mutate(checkIn);
    const before = (await admin.client.commands.get.query({ commandId })).leaseExpiresAt;
    await expireLeaseOf(commandId);
    const progress = await agent.client.agent.reportProgress.mutate({
      commandId,
      percent: 10,
      message: "downloading",
    });
    expect(progress.accepted).toBe(true);
    expect(progress.leaseExpiresAt?.getTime()).toBeGreaterThanOrEqual(before?.getTime() ?? 0);
    expect((await agent.client.agent.checkIn.mutate(checkIn)).commands).toEqual([]);
    expect((await admin.client.commands.get.query({ commandId })).status).toBe("running");
  });

  test("a cancelled command is never leased and its updates go back to approved", async () => {
    const { admin, agent, commandId } = await setUpInstall();
    expect(await admin.client.commands.cancel.mutate({ commandId })).toEqual({
      id: commandId,
      status: "cancelled",
    });
    expect((await agent.client.agent.checkIn.mutate(checkIn)).commands).toEqual([]);
    const [update] = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
    expect(update?.status).toBe("approved");
  });

  test("concurrent check-ins of one agent never receive the same command", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const created: CommandId[] = [];
    for (let index = 0; index < 30; index++) {
      const command = await admin.client.agents.requestCommand.mutate({
        agentId: agent.agentId,
        type: "scan",
      });
      created.push(command.id);
    }
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => agent.client.agent.checkIn.mutate(checkIn)),
    );
    const received = answers.flatMap((answer) => answer.commands.map((command) => command.id));
    expect(new Set(received).size).toBe(received.length);
    // Each check-in leases at most 10; drain the rest and check every command went out exactly once.
    for (;;) {
      const more = await agent.client.agent.checkIn.mutate(checkIn);
      if (more.commands.length === 0) break;
      received.push(...more.commands.map((command) => command.id));
    }
    expect(received.sort()).toEqual(created.sort());
  });
});
