import { describe, expect, test } from "bun:test";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { errorCodeOf, type TestServer, useTestServer } from "./harness/server.ts";

let server: TestServer;
useTestServer((started) => {
  server = started;
});

/** An agent with `count` ordinary updates and two security fixes. */
async function hostWithUpdates(count: number) {
  const admin = await signIn(server, "operator");
  const agent = await registerAgent(server, admin);
  await agent.client.agent.reportScan.mutate(
    scanReport([
      ...Array.from({ length: count }, (_, index) => aptItem(`pkg-${String(index).padStart(3, "0")}`)),
      aptItem("openssl", { security: true, severity: "critical" }),
      aptItem("libssl3", { security: true, severity: "important" }),
    ]),
  );
  return { admin, agent };
}

describe("changing every update that matches the list's filter", () => {
  test("approves every matching update, not only the first page", async () => {
    const { admin, agent } = await hostWithUpdates(70);
    const filter = { agentId: agent.agentId, statuses: ["available" as const] };
    const page = await admin.client.updates.list.query({ ...filter, pageSize: 50 });
    expect(page.items).toHaveLength(50);
    expect(page.total).toBe(72);
    const matching = await admin.client.updates.matching.query({ filter });
    expect(matching.total).toBe(72);
    expect(matching.items).toHaveLength(72);

    const approved = await admin.client.updates.approveMatching.mutate({ filter, expectedTotal: 72 });
    expect(approved.changed).toBe(72);
    const after = await admin.client.updates.list.query({ agentId: agent.agentId, statuses: ["approved"] });
    expect(after.total).toBe(72);
  });

  test("is all or nothing: a count that changed, or an update that cannot move, changes nothing", async () => {
    const { admin, agent } = await hostWithUpdates(3);
    const filter = { agentId: agent.agentId };
    expect(await errorCodeOf(admin.client.updates.approveMatching.mutate({ filter, expectedTotal: 4 }))).toBe(
      "CONFLICT",
    );
    const [openssl] = (await admin.client.updates.list.query({ ...filter, search: "openssl" })).items;
    if (!openssl) throw new Error("openssl missing");
    await admin.client.updates.install.mutate({ updateIds: [openssl.id] });
    // openssl is installing now: approving "everything on this host" must not approve the rest either.
    expect(await errorCodeOf(admin.client.updates.approveMatching.mutate({ filter, expectedTotal: 5 }))).toBe(
      "CONFLICT",
    );
    const approved = await admin.client.updates.list.query({ ...filter, statuses: ["approved"] });
    expect(approved.total).toBe(0);
  });

  test("installs a host's security updates in one command, and a viewer may not", async () => {
    const { admin, agent } = await hostWithUpdates(5);
    const filter = { agentId: agent.agentId, security: true, statuses: ["available" as const] };
    const viewer = await signIn(server, "viewer");
    expect(
      await errorCodeOf(viewer.client.updates.installMatching.mutate({ filter, expectedTotal: 2 })),
    ).toBe("FORBIDDEN");
    const { commandIds } = await admin.client.updates.installMatching.mutate({ filter, expectedTotal: 2 });
    expect(commandIds).toHaveLength(1);
    const command = await admin.client.commands.get.query({ commandId: commandIds[0] ?? "" });
    expect(command.targets.map((target) => target.packageName).sort()).toEqual(["libssl3", "openssl"]);
    const installing = await admin.client.updates.list.query({
      agentId: agent.agentId,
      statuses: ["installing"],
    });
    expect(installing.total).toBe(2);
  });
});
