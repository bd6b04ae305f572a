import { describe, expect, test } from "bun:test";
import { commandLeaseSeconds } from "@redflag/api";
import { expireLeases } from "@redflag/api/services/commands/expire-leases.ts";
import type { CommandId } from "@redflag/contracts";
import { commands } from "@redflag/db";
import { eq, sql } from "drizzle-orm";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { type TestServer, useTestServer } from "./harness/server.ts";

// A long install reports no progress for longer than the lease, but its agent keeps checking in
// (at least every 5 minutes while it holds commands, agent-bun/src/daemon/daemon.ts) and lists the
// command in runningCommandIds each time: the lease never runs out. Once the check-ins stop, or stop
// naming it, it does. Time passes by moving the command's lease back, as the clock moving forward
// would; the server's own sweep (expireLeases) and check-ins then judge it by the real clock.

let server: TestServer;
useTestServer((started) => {
  server = started;
});

const checkIn = { agentVersion: "0.1.0", metrics: {}, rebootRequired: false };
/** The longest gap between an agent's check-ins while it holds a command. */
const checkInGapMs = 5 * 60 * 1000;
/** The lease a held command gets at each check-in that lists it (15 minutes). */
const leaseMs = commandLeaseSeconds * 1000;

/** As if `ms` had passed for this command's lease: it is that much nearer its end. */
async function letTimePass(commandId: CommandId, ms: number) {
  await server.api.db
    .update(commands)
    .set({ leaseExpiresAt: sql`${commands.leaseExpiresAt} - make_interval(secs => ${ms / 1000})` })
    .where(eq(commands.id, commandId));
}

/** The server's 30 s sweep, run now. */
async function sweep() {
  await server.api.db.transaction((tx) => expireLeases(tx, {}));
}

/** An install leased to a fresh agent, which has confirmed it holds it and started it. */
async function runningInstall() {
  const admin = await signIn(server, "operator");
  const agent = await registerAgent(server, admin);
  await agent.client.agent.reportScan.mutate(scanReport([aptItem("linux-image-amd64")]));
  const [update] = (await admin.client.updates.list.query({ agentId: agent.agentId })).items;
  if (!update) throw new Error("update missing");
  const { commandIds } = await admin.client.updates.install.mutate({ updateIds: [update.id] });
  const [commandId] = commandIds;
  if (!commandId) throw new Error("no command queued");
  expect((await agent.client.agent.checkIn.mutate(checkIn)).commands.map((command) => command.id)).toEqual([
    commandId,
  ]);
  // Started: one progress report, then silence for the rest of the run.
  await agent.client.agent.reportProgress.mutate({ commandId, percent: 0, message: "unpacking" });
  return { admin, agent, commandId };
}

async function commandOf(setup: Awaited<ReturnType<typeof runningInstall>>) {
  return setup.admin.client.commands.get.query({ commandId: setup.commandId });
}

describe("a long command's lease is kept by the check-ins that list it", () => {
  test("two hours without progress, checked in every 5 minutes with its id: never expires", async () => {
    const setup = await runningInstall();
    const rounds = (2 * 60 * 60 * 1000) / checkInGapMs;
    for (let round = 0; round < rounds; round++) {
      await letTimePass(setup.commandId, checkInGapMs);
      await sweep();
      const answer = await setup.agent.client.agent.checkIn.mutate({
        ...checkIn,
        runningCommandIds: [setup.commandId],
      });
      expect(answer.commands).toEqual([]);
      const command = await commandOf(setup);
      expect(command.status).toBe("running");
      // Extended to a whole lease from this check-in (less the test's own run time).
      expect(command.leaseExpiresAt?.getTime()).toBeGreaterThan(Date.now() + leaseMs - 60_000);
    }
    // Longer than the lease by far, and nothing but check-ins kept it.
    expect(rounds * checkInGapMs).toBeGreaterThan(4 * leaseMs);
    const command = await commandOf(setup);
    expect(command.logs.filter((log) => log.kind === "lease_expired")).toEqual([]);
    expect(command.logs.filter((log) => log.kind === "progress")).toHaveLength(1);
    const [update] = (await setup.admin.client.updates.list.query({ agentId: setup.agent.agentId })).items;
    expect(update?.status).toBe("installing");
  });

  test("once the check-ins stop, the lease runs out a lease's length after the last one", async () => {
    const setup = await runningInstall();
    await setup.agent.client.agent.checkIn.mutate({ ...checkIn, runningCommandIds: [setup.commandId] });
    // Silence: the sweep finds the lease alive until a whole lease has passed.
    await letTimePass(setup.commandId, leaseMs - 60_000);
    await sweep();
    expect((await commandOf(setup)).status).toBe("running");
    await letTimePass(setup.commandId, 2 * 60_000);
    await sweep();
    const command = await commandOf(setup);
    expect(command.status).toBe("timed_out");
    expect(command.logs.filter((log) => log.kind === "lease_expired")).toHaveLength(1);
    const [update] = (await setup.admin.client.updates.list.query({ agentId: setup.agent.agentId })).items;
    expect(update?.status).toBe("failed");
  });

  test("an agent that keeps checking in but no longer lists the command loses it", async () => {
    const setup = await runningInstall();
    await setup.agent.client.agent.checkIn.mutate({ ...checkIn, runningCommandIds: [setup.commandId] });
    for (let round = 0; round < 2; round++) {
      await letTimePass(setup.commandId, checkInGapMs);
      await setup.agent.client.agent.checkIn.mutate(checkIn);
      expect((await commandOf(setup)).status).toBe("running");
    }
    await letTimePass(setup.commandId, checkInGapMs + 1000);
    // The check-in itself takes the lease back (no sweep needed).
    expect((await setup.agent.client.agent.checkIn.mutate(checkIn)).commands).toEqual([]);
    expect((await commandOf(setup)).status).toBe("timed_out");
  });
});
