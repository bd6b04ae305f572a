import { afterEach, describe, expect, test } from "bun:test";
import type { RebootPolicy } from "@redflag/contracts";
import { signIn } from "./harness/fixtures.ts";
import {
  agentWithApprovedUpdates,
  commandsOf,
  creatorOf,
  deleteAllWindows,
  finishCommand,
  runsOf,
  type TestAgent,
  takeCommands,
  testClock,
  windowDefaults,
  windowTickAt,
} from "./harness/maintenance-windows.ts";
import { type TestServer, useTestServer } from "./harness/server.ts";

const clock = testClock("2026-07-01T00:00:00Z");
let server: TestServer;
useTestServer(
  (started) => {
    server = started;
  },
  { clock: clock.now },
);

afterEach(async () => {
  await deleteAllWindows(server);
});

const tick = (at: string) => windowTickAt(server, clock, at);

/** The agent takes its install, reports it done, and checks in saying whether it now needs a reboot. */
async function installAndReport(agent: TestAgent, rebootRequired: boolean) {
  const [install] = await takeCommands(agent);
  if (install?.type !== "install") throw new Error(`expected an install, got ${install?.type}`);
  await finishCommand(agent, install);
  await takeCommands(agent, { rebootRequired });
}

const typesOf = async (agent: TestAgent) =>
  (await commandsOf(server, [agent.agentId])).map((command) => command.type);

async function windowFor(agents: TestAgent[], reboot: RebootPolicy, maxConcurrentReboots = 1) {
  const admin = await signIn(server, "admin");
  return admin.client.maintenanceWindows.create.mutate({
    ...windowDefaults,
    reboot,
    maxConcurrentReboots,
    agentIds: agents.map((agent) => agent.agentId),
  });
}

describe("reboot policy", () => {
  test("never: a host that needs a reboot after the install is not rebooted", async () => {
    const admin = await signIn(server, "admin");
    const agent = await agentWithApprovedUpdates(server, admin, ["linux-image-amd64"]);
    await windowFor([agent], "never");
    await tick("2026-07-01T03:00:30Z");
    await installAndReport(agent, true);
    await tick("2026-07-01T03:02:00Z");
    await tick("2026-07-01T03:03:00Z");
    expect(await typesOf(agent)).toEqual(["install"]);
    expect((await runsOf(server, agent.agentId)).map((run) => run.status)).toEqual(["done"]);
  });

  test("if_required: rebooted, as the window, only when the host reports it needs it after the install", async () => {
    const admin = await signIn(server, "admin");
    const needing = await agentWithApprovedUpdates(server, admin, ["linux-image-amd64"]);
    const fine = await agentWithApprovedUpdates(server, admin, ["jq"]);
    const window = await windowFor([needing, fine], "if_required", 5);
    await tick("2026-07-02T03:00:30Z");

    // The install is reported, but the host has not checked in since: it has not said yet.
    const [install] = await takeCommands(needing);
    if (!install) throw new Error("install not leased");
    await finishCommand(needing, install);
    await tick("2026-07-02T03:01:30Z");
    expect(await typesOf(needing)).toEqual(["install"]);
    await takeCommands(needing, { rebootRequired: true });
    await installAndReport(fine, false);
    await tick("2026-07-02T03:02:30Z");

    expect(await typesOf(needing)).toEqual(["install", "reboot"]);
    expect(await typesOf(fine)).toEqual(["install"]);
    const [, reboot] = await commandsOf(server, [needing.agentId]);
    if (!reboot) throw new Error("no reboot");
    expect(await creatorOf(server, reboot.id)).toEqual({ actorType: "automation", actorId: window.id });
    expect(await runsOf(server, needing.agentId)).toMatchObject([
      { status: "rebooting", rebootCommandId: reboot.id },
    ]);
    expect(await runsOf(server, fine.agentId)).toMatchObject([{ status: "done" }]);

    // The agent reports the reboot once it is back (it verifies the boot).
    const [leased] = await takeCommands(needing, { rebootRequired: true });
    if (!leased) throw new Error("reboot not leased");
    await finishCommand(needing, leased);
    await tick("2026-07-02T03:05:00Z");
    expect(await runsOf(server, needing.agentId)).toMatchObject([{ status: "done", detail: "rebooted" }]);
  });

  test("always: rebooted after the install even when the host does not ask for it", async () => {
    const admin = await signIn(server, "admin");
    const agent = await agentWithApprovedUpdates(server, admin, ["tzdata"]);
    await windowFor([agent], "always");
    await tick("2026-07-03T03:00:30Z");
    await installAndReport(agent, false);
    await tick("2026-07-03T03:01:30Z");
    expect(await typesOf(agent)).toEqual(["install", "reboot"]);
  });

  test("reboots happen only inside the window: an install that ends after the close waits for the next window's reboot", async () => {
    const admin = await signIn(server, "admin");
    const agent = await agentWithApprovedUpdates(server, admin, ["linux-image-amd64"]);
    await windowFor([agent], "if_required");
    await tick("2026-07-04T03:00:30Z");
    const [install] = await takeCommands(agent);
    if (!install) throw new Error("install not leased");
    await tick("2026-07-04T03:59:00Z");
    await tick("2026-07-04T04:00:30Z");
    await finishCommand(agent, install);
    await takeCommands(agent, { rebootRequired: true });
    await tick("2026-07-04T04:01:30Z");
    await tick("2026-07-04T09:00:00Z");
    expect(await typesOf(agent)).toEqual(["install"]);
    const [run] = await runsOf(server, agent.agentId);
    expect(run?.status).toBe("done");
    expect(run?.detail).toContain("next window");

    // The next occurrence has nothing to install, but the host still needs its reboot.
    await tick("2026-07-05T03:00:30Z");
    expect(await typesOf(agent)).toEqual(["install", "reboot"]);
  });

  test("staggered: with 5 hosts to reboot and 2 at a time, never more than 2 unfinished, and all 5 within the window", async () => {
    const admin = await signIn(server, "admin");
    const fleet: TestAgent[] = [];
    for (let index = 0; index < 5; index++) {
      fleet.push(await agentWithApprovedUpdates(server, admin, [`kernel-${index}`]));
    }
    const agentIds = fleet.map((agent) => agent.agentId);
    await windowFor(fleet, "if_required", 2);
    await tick("2026-07-06T03:00:00Z");
    for (const agent of fleet) await installAndReport(agent, true);

    // A reboot takes a minute: an agent takes it at one tick and reports it back at the next.
    const rebooting = new Map<TestAgent, Awaited<ReturnType<typeof takeCommands>>[number]>();
    let most = 0;
    for (let minute = 1; minute <= 20; minute++) {
      await tick(new Date(Date.parse("2026-07-06T03:00:00Z") + minute * 60_000).toISOString());
      const unfinished = (await commandsOf(server, agentIds)).filter(
        (command) => command.type === "reboot" && ["pending", "sent", "running"].includes(command.status),
      );
      expect(unfinished.length).toBeLessThanOrEqual(2);
      most = Math.max(most, unfinished.length);
      for (const [agent, command] of rebooting) await finishCommand(agent, command);
      rebooting.clear();
      for (const agent of fleet) {
        const [command] = await takeCommands(agent, { rebootRequired: true });
        if (command) rebooting.set(agent, command);
      }
    }
    expect(most).toBe(2);
    const reboots = (await commandsOf(server, agentIds)).filter((command) => command.type === "reboot");
    expect(reboots).toHaveLength(5);
    expect(reboots.every((command) => command.status === "succeeded")).toBe(true);
    const runs = await Promise.all(fleet.map((agent) => runsOf(server, agent.agentId)));
    expect(runs.flat().map((run) => run.status)).toEqual(["done", "done", "done", "done", "done"]);
  });
});
