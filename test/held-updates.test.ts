import { describe, expect, test } from "bun:test";
import { newId } from "@redflag/contracts";
import { policies, updates } from "@redflag/db";
import { and, eq } from "drizzle-orm";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { type TestServer, useTestServer } from "./harness/server.ts";

let server: TestServer;
useTestServer((started) => {
  server = started;
});

const checkIn = { agentVersion: "0.1.0", metrics: {}, rebootRequired: false };

async function setUp() {
  const admin = await signIn(server, "operator");
  const agent = await registerAgent(server, admin);
  await agent.client.agent.reportScan.mutate(
    scanReport([aptItem("rf-held", { held: true }), aptItem("rf-free", { held: false }), aptItem("rf-old")]),
  );
  const listed = async (filter: { held?: boolean } = {}) =>
    (
      await admin.client.updates.list.query({ agentId: agent.agentId, sort: "packageName", ...filter })
    ).items.map((item) => [item.packageName, item.hostHeld, item.heldByPolicy?.name ?? null]);
  return { admin, agent, listed };
}

describe("updates held on the host", () => {
  test("a scan's held flag is stored; an agent that omits it reports nothing held", async () => {
    const { listed } = await setUp();
    expect(await listed()).toEqual([
      ["rf-free", false, null],
      ["rf-held", true, null],
      ["rf-old", false, null],
    ]);
  });

  test("a hold let go of on the host is cleared by the next scan, and one set later is stored", async () => {
    const { agent, listed } = await setUp();
    const second = await agent.client.agent.reportScan.mutate(
      scanReport([aptItem("rf-held"), aptItem("rf-free", { held: true }), aptItem("rf-old")]),
    );
    expect(second).toMatchObject({ changed: 2, opened: 0, closed: 0 });
    expect(await listed()).toEqual([
      ["rf-free", true, null],
      ["rf-held", false, null],
      ["rf-old", false, null],
    ]);
    // The same report again changes nothing.
    const third = await agent.client.agent.reportScan.mutate(
      scanReport([aptItem("rf-held"), aptItem("rf-free", { held: true }), aptItem("rf-old")]),
    );
    expect(third).toMatchObject({ changed: 0, unchanged: 3 });
  });

  test("the list names the hold policy; the held filter finds both kinds, and its opposite the rest", async () => {
    const { agent, listed } = await setUp();
    const policyId = newId("policy");
    await server.api.db.insert(policies).values({ id: policyId, name: "Kernel freeze", action: "hold" });
    await server.api.db
      .update(updates)
      .set({ heldByPolicyId: policyId })
      .where(and(eq(updates.agentId, agent.agentId), eq(updates.packageName, "rf-old")));
    expect(await listed()).toEqual([
      ["rf-free", false, null],
      ["rf-held", true, null],
      ["rf-old", false, "Kernel freeze"],
    ]);
    expect(await listed({ held: true })).toEqual([
      ["rf-held", true, null],
      ["rf-old", false, "Kernel freeze"],
    ]);
    expect(await listed({ held: false })).toEqual([["rf-free", false, null]]);
    const [policyHeld] = (
      await signIn(server, "viewer").then((viewer) =>
        viewer.client.updates.list.query({ agentId: agent.agentId, held: true, search: "rf-old" }),
      )
    ).items;
    expect(policyHeld?.heldByPolicy).toEqual({ id: policyId, name: "Kernel freeze" });
  });

  test("installing a host-held update is queued, and the agent's refusal is the item's outcome and the command's log", async () => {
    const { admin, agent } = await setUp();
    const [held] = (await admin.client.updates.list.query({ agentId: agent.agentId, held: true })).items;
    if (!held) throw new Error("no held update");
    const { commandIds } = await admin.client.updates.install.mutate({ updateIds: [held.id] });
    const [commandId] = commandIds;
    if (!commandId) throw new Error("no command queued");
    const leased = await agent.client.agent.checkIn.mutate(checkIn);
    expect(leased.commands.map((command) => command.id)).toEqual([commandId]);
    // What agent-bun's apt installer reports for a held package (apt/holds.ts heldMessage).
    const message =
      "rf-held is held on the host (apt-mark hold); unhold it there (apt-mark unhold rf-held) to install this update";
    await agent.client.agent.reportResult.mutate({
      commandId,
      status: "failed",
      exitCode: null,
      output: message,
      items: [{ updateId: held.id, status: "failed", installedVersion: null, message }],
      startedAt: new Date(),
      finishedAt: new Date(),
    });
    const detail = await admin.client.commands.get.query({ commandId });
    expect(detail.status).toBe("failed");
    expect(detail.output).toBe(message);
    expect(detail.itemOutcomes?.map((item) => [item.updateId, item.status, item.message])).toEqual([
      [held.id, "failed", message],
    ]);
    const [after] = (await admin.client.updates.list.query({ agentId: agent.agentId, held: true })).items;
    expect([after?.status, after?.hostHeld]).toEqual(["failed", true]);
  });
});
