import { describe, expect, test } from "bun:test";
import { agents } from "@redflag/db";
import { eq } from "drizzle-orm";
import { registerAgent, signIn } from "./harness/fixtures.ts";
import { type TestServer, useTestServer } from "./harness/server.ts";

let server: TestServer;
useTestServer((started) => {
  server = started;
});

const checkIn = { agentVersion: "0.1.0", metrics: {}, rebootRequired: false };

async function lastCheckInOf(agentId: string) {
  const [row] = await server.api.db
    .select({ at: agents.lastCheckInAt })
    .from(agents)
    .where(eq(agents.id, agentId as never));
  return row?.at?.getTime() ?? null;
}

describe("long-poll check-in", () => {
  test("the server says how long it holds a check-in; a plain check-in answers at once", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const answer = await agent.client.agent.checkIn.mutate(checkIn);
    expect(answer.longPollSeconds).toBe(50);
    expect(answer.commands).toEqual([]);
  });

  test("a command queued while the agent waits arrives within 2 s, not at the end of the wait", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.checkIn.mutate(checkIn);
    const started = performance.now();
    const waiting = agent.client.agent.checkIn.mutate({ ...checkIn, waitSeconds: 30 });
    await Bun.sleep(300);
    expect(server.api.wakeups.waiting).toBe(1);
    const queuedAt = performance.now();
    const { id } = await admin.client.agents.requestCommand.mutate({ agentId: agent.agentId, type: "scan" });
    const answer = await waiting;
    const arrived = performance.now();
    expect(answer.commands.map((command) => command.id)).toEqual([id]);
    // A generous bound for a loaded machine; bench:longpoll measures the real delivery time.
    expect(arrived - queuedAt).toBeLessThan(2_000);
    expect(arrived - started).toBeLessThan(30_000);
    expect(server.api.wakeups.waiting).toBe(0);
  });

  test("a command already pending is answered at once, however long the agent offered to wait", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const { id } = await admin.client.agents.requestCommand.mutate({ agentId: agent.agentId, type: "scan" });
    const answer = await agent.client.agent.checkIn.mutate({ ...checkIn, waitSeconds: 30 });
    expect(answer.commands.map((command) => command.id)).toEqual([id]);
  });

  test("with nothing queued the wait ends empty at its time; another agent's command does not wake it", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const other = await registerAgent(server, admin);
    const waiting = agent.client.agent.checkIn.mutate({ ...checkIn, waitSeconds: 2 });
    await Bun.sleep(200);
    await admin.client.agents.requestCommand.mutate({ agentId: other.agentId, type: "scan" });
    const answer = await waiting;
    expect(answer.commands).toEqual([]);
    const othersAnswer = await other.client.agent.checkIn.mutate(checkIn);
    expect(othersAnswer.commands).toHaveLength(1);
  });

  test("long polls add no heartbeat writes within the poll interval, and the agent stays online", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.checkIn.mutate(checkIn);
    const written = await lastCheckInOf(agent.agentId);
    expect(written).not.toBeNull();
    for (let poll = 0; poll < 3; poll++) {
      await agent.client.agent.checkIn.mutate({ ...checkIn, waitSeconds: 1 });
      expect(await lastCheckInOf(agent.agentId)).toBe(written);
    }
    const listed = await admin.client.agents.list.query({});
    expect(listed.items.find((item) => item.id === agent.agentId)?.online).toBe(true);
    // A plain check-in is a heartbeat of its own and is always written.
    await Bun.sleep(5);
    await agent.client.agent.checkIn.mutate(checkIn);
    expect(await lastCheckInOf(agent.agentId)).toBeGreaterThan(written ?? 0);
  });

  test("a long poll that says the host now needs a reboot (or runs another version) is written at once", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.checkIn.mutate(checkIn);
    const written = await lastCheckInOf(agent.agentId);
    await Bun.sleep(5);
    await agent.client.agent.checkIn.mutate({ ...checkIn, waitSeconds: 1, rebootRequired: true });
    const afterReboot = await lastCheckInOf(agent.agentId);
    expect(afterReboot).toBeGreaterThan(written ?? 0);
    expect((await admin.client.agents.get.query({ agentId: agent.agentId })).rebootRequired).toBe(true);
    // Nothing new: skipped again.
    await agent.client.agent.checkIn.mutate({ ...checkIn, waitSeconds: 1, rebootRequired: true });
    expect(await lastCheckInOf(agent.agentId)).toBe(afterReboot);
    await Bun.sleep(5);
    await agent.client.agent.checkIn.mutate({
      ...checkIn,
      waitSeconds: 1,
      rebootRequired: true,
      agentVersion: "0.2.0",
    });
    expect(await lastCheckInOf(agent.agentId)).toBeGreaterThan(afterReboot ?? 0);
    expect((await admin.client.agents.get.query({ agentId: agent.agentId })).agentVersion).toBe("0.2.0");
  });

  test("a long poll is never held past the agent's poll interval, so presence stays right", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await server.api.db
      .update(agents)
      .set({ pollIntervalSeconds: 2 })
      .where(eq(agents.id, agent.agentId as never));
    const started = performance.now();
    const answer = await agent.client.agent.checkIn.mutate({ ...checkIn, waitSeconds: 30 });
    expect(answer.pollIntervalSeconds).toBe(2);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(server.api.wakeups.waiting).toBe(0);
  });

  test("a revoked token is refused before any wait", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    await server.api.db
      .update(agents)
      .set({ tokenGeneration: 7 })
      .where(eq(agents.id, agent.agentId as never));
    const started = performance.now();
    await expect(agent.client.agent.checkIn.mutate({ ...checkIn, waitSeconds: 30 })).rejects.toThrow(
      /revoked/,
    );
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(server.api.wakeups.waiting).toBe(0);
  });

  test("a client that goes away stops its wait, and nothing is leased into the lost answer", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const controller = new AbortController();
    const waiting = agent.client.agent.checkIn
      .mutate({ ...checkIn, waitSeconds: 30 }, { signal: controller.signal })
      .catch((error: unknown) => error);
    await Bun.sleep(300);
    expect(server.api.wakeups.waiting).toBe(1);
    controller.abort();
    await waiting;
    for (let tries = 0; tries < 50 && server.api.wakeups.waiting > 0; tries++) await Bun.sleep(20);
    expect(server.api.wakeups.waiting).toBe(0);
    const { id } = await admin.client.agents.requestCommand.mutate({ agentId: agent.agentId, type: "scan" });
    expect((await admin.client.commands.get.query({ commandId: id })).status).toBe("pending");
  });
});
