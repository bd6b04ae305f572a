import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expireLeases } from "@redflag/api/services/commands/expire-leases.ts";
import type { AgentId, CommandId, LeasedCommand } from "@redflag/contracts";
import { agents, auditEvents, commandLogs, commands } from "@redflag/db";
import { and, asc, eq } from "drizzle-orm";
import { collectVirtualization } from "../agent-bun/src/proxmox/inventory.ts";
import { takeSnapshot } from "../agent-bun/src/proxmox/snapshots.ts";
import { recordedCalls, standInProbes } from "../agent-bun/test/proxmox/stand-ins.ts";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import {
  checkIn,
  deleteAllWindows,
  takeCommands,
  testClock,
  windowDefaults,
  windowTickAt,
} from "./harness/maintenance-windows.ts";
import { errorCodeOf, type TestServer, useTestServer } from "./harness/server.ts";
import { waitFor } from "./harness/wait-for.ts";

/*
 * A Proxmox node (its inventory read by the agent's own code from the stand-in pveversion/pvesh/pct/qm,
 * agent-bun/test/proxmox/fixtures/node/README.md) with container 101 (machine id 0f1e…) and VM 200
 * (SMBIOS uuid 5c0b…); an agent inside each. The snapshot setting covers the guests tagged "snap".
 */
const webMachineId = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const dbProductUuid = "5C0B1B6E-3F2A-4D1E-9A7B-2F4E8C9D1A00";

// The scheduler's clock, for the maintenance window; the rest of the server keeps real time.
const clock = testClock("2026-06-01T00:00:00Z");
let server: TestServer;
useTestServer(
  (started) => {
    server = started;
  },
  { clock: clock.now },
);

let sandbox: string;
beforeEach(async () => {
  sandbox = mkdtempSync(join(tmpdir(), "redflag-snapshot-server-"));
  await server.api.db.delete(agents);
});
afterEach(async () => {
  rmSync(sandbox, { recursive: true, force: true });
  await deleteAllWindows(server);
});

type Admin = Awaited<ReturnType<typeof signIn>>;
type Agent = Awaited<ReturnType<typeof registerAgent>>;

async function reportWith(agent: Agent, name: string, options: Parameters<typeof standInProbes>[1]) {
  const virtualization = await collectVirtualization(standInProbes(join(sandbox, name), options));
  const { scanners, startedAt, finishedAt } = scanReport([aptItem("openssl"), aptItem("curl")]);
  await agent.client.agent.checkIn.mutate(checkIn);
  await agent.client.agent.reportScan.mutate({
    scanners,
    startedAt,
    finishedAt,
    ...(virtualization ? { virtualization } : {}),
  });
}

/** The node, its container "web" (tagged snap), its VM "db" (untagged), and the setting keeping 2. */
async function setUp() {
  const admin = await signIn(server, "admin");
  const node = await registerAgent(server, admin, { hostname: "pve1" });
  await reportWith(node, "pve1", { pve: true });
  const web = await registerAgent(server, admin, { hostname: "web" });
  await reportWith(web, "web", { env: { DETECT_VIRT: "lxc" }, machineId: webMachineId });
  const db = await registerAgent(server, admin, { hostname: "db" });
  await reportWith(db, "db", { env: { DETECT_VIRT: "kvm" }, productUuid: dbProductUuid });
  await admin.client.agents.configure.mutate({ agentId: web.agentId, tags: ["snap"] });
  await admin.client.settings.set.mutate({
    key: "snapshotBeforePatch",
    value: { tags: ["snap"], agentIds: [], keep: 2 },
  });
  return { admin, node, web, db };
}

async function install(admin: Admin, agent: Agent): Promise<CommandId> {
  const { items } = await admin.client.updates.list.query({ agentId: agent.agentId });
  const { commandIds } = await admin.client.updates.install.mutate({
    updateIds: items.map((item) => item.id),
  });
  const [id] = commandIds;
  if (!id || commandIds.length !== 1) throw new Error("expected one install");
  return id;
}

async function commandsOf(agentId: AgentId) {
  return server.api.db
    .select()
    .from(commands)
    .where(eq(commands.agentId, agentId))
    .orderBy(asc(commands.createdAt), asc(commands.id));
}

async function commandById(id: CommandId) {
  const [row] = await server.api.db.select().from(commands).where(eq(commands.id, id));
  if (!row) throw new Error(`no command ${id}`);
  return row;
}

async function report(
  agent: Agent,
  command: Pick<LeasedCommand, "id">,
  status: "succeeded" | "failed",
  output = "",
) {
  await agent.client.agent.reportResult.mutate({
    commandId: command.id,
    status,
    exitCode: status === "succeeded" ? 0 : 255,
    output,
    startedAt: new Date(),
    finishedAt: new Date(),
    items: [],
  });
}

describe("snapshot before patch", () => {
  test("the setting is admin-only, validated and audited", async () => {
    const { admin } = await setUp();
    expect((await admin.client.settings.get.query()).snapshotBeforePatch).toEqual({
      tags: ["snap"],
      agentIds: [],
      keep: 2,
    });
    const operator = await signIn(server, "operator");
    expect(
      await errorCodeOf(
        operator.client.settings.set.mutate({
          key: "snapshotBeforePatch",
          value: { tags: [], agentIds: [], keep: 1 },
        }),
      ),
    ).toBe("FORBIDDEN");
    expect(
      await errorCodeOf(
        admin.client.settings.set.mutate({
          key: "snapshotBeforePatch",
          value: { tags: ["no spaces"], agentIds: [], keep: 0 },
        }),
      ),
    ).toBe("BAD_REQUEST");
    const events = await server.api.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "setting.set"), eq(auditEvents.entityId, "snapshotBeforePatch")));
    expect(events.map((event) => event.after)).toEqual([{ tags: ["snap"], agentIds: [], keep: 2 }]);
  });

  test("the install is not leased before its node's agent snapshotted the guest, and is leased after", async () => {
    const { admin, node, web } = await setUp();
    const installId = await install(admin, web);
    const [snapshot, ...others] = await commandsOf(node.agentId);
    expect(others).toEqual([]);
    expect(snapshot?.type).toBe("snapshot");
    const snapshotName = `redflag-${installId}`;
    expect(snapshotName.length).toBeLessThanOrEqual(40);
    expect(snapshot?.parameters).toEqual({ vmid: 101, guestType: "lxc", snapshotName, keep: 2 });

    // The guest checks in: its install waits.
    expect(await takeCommands(web)).toEqual([]);
    expect((await commandById(installId)).status).toBe("pending");

    // The node leases the snapshot, signed with its parameters; the agent's own code runs it against the stand-ins.
    const [leased, ...more] = await takeCommands(node);
    expect(more).toEqual([]);
    if (!leased) throw new Error("the node was handed nothing");
    expect(leased).toMatchObject({ type: "snapshot", parameters: { vmid: 101, snapshotName } });
    expect(leased.signature).toBeString();
    // Still waiting while the snapshot runs.
    expect(await takeCommands(web)).toEqual([]);

    const tools = standInProbes(join(sandbox, "pve1-run"));
    const outcome = await takeSnapshot(leased, tools);
    expect(recordedCalls(join(sandbox, "pve1-run"))[0]).toBe(
      `pct snapshot 101 ${snapshotName} --description 'RedFlag: before install ${installId}'`,
    );
    await report(node, leased, outcome.status, outcome.output);

    const handed = await takeCommands(web);
    expect(handed.map((command) => [command.id, command.type])).toEqual([[installId, "install"]]);
  });

  test("a guest holding a long-poll check-in open is handed its install as soon as the snapshot succeeded", async () => {
    const { admin, node, web } = await setUp();
    const installId = await install(admin, web);
    const [leased] = await takeCommands(node);
    if (!leased) throw new Error("the node was handed nothing");
    const started = performance.now();
    const waiting = web.client.agent.checkIn.mutate({ ...checkIn, waitSeconds: 30 });
    await waitFor("the guest's check-in to wait", () => server.api.wakeups.waiting === 1);
    await report(node, leased, "succeeded");
    const answer = await waiting;
    expect(answer.commands.map((command) => command.id)).toEqual([installId]);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  test("a maintenance window's install is gated the same way", async () => {
    const { admin, node, web } = await setUp();
    const { items } = await admin.client.updates.list.query({ agentId: web.agentId });
    await admin.client.updates.approve.mutate({ updateIds: items.map((item) => item.id) });
    await admin.client.maintenanceWindows.create.mutate({ ...windowDefaults, tags: ["snap"] });
    await windowTickAt(server, clock, "2026-06-01T03:00:30Z");
    const [installCommand] = await commandsOf(web.agentId);
    if (installCommand?.type !== "install") throw new Error("the window queued no install");
    const [snapshot] = await commandsOf(node.agentId);
    expect(snapshot?.parameters).toMatchObject({ vmid: 101, snapshotName: `redflag-${installCommand.id}` });
    expect(await takeCommands(web)).toEqual([]);
    const [leased] = await takeCommands(node);
    if (!leased) throw new Error("the node was handed nothing");
    await report(node, leased, "succeeded");
    expect((await takeCommands(web)).map((command) => command.id)).toEqual([installCommand.id]);
  });

  test("a failed snapshot fails the install, naming the snapshot command; nothing is leased to the guest", async () => {
    const { admin, node, web } = await setUp();
    const installId = await install(admin, web);
    const [leased] = await takeCommands(node);
    if (!leased) throw new Error("the node was handed nothing");
    expect(await takeCommands(web)).toEqual([]);
    await report(node, leased, "failed", "snapshot feature is not available");

    const failed = await commandById(installId);
    expect(failed.status).toBe("failed");
    expect(failed.output).toBe(`Not installed: the snapshot before it (command ${leased.id}) ended failed`);
    const logs = await server.api.db.select().from(commandLogs).where(eq(commandLogs.commandId, installId));
    expect(logs.map((log) => log.message)).toContain(failed.output ?? "");
    expect(await takeCommands(web)).toEqual([]);
    const { items } = await admin.client.updates.list.query({ agentId: web.agentId });
    expect(items.map((item) => item.status)).toEqual(["failed", "failed"]);
  });

  test("a cancelled snapshot fails the install too", async () => {
    const { admin, node, web } = await setUp();
    const installId = await install(admin, web);
    const [snapshot] = await commandsOf(node.agentId);
    if (!snapshot) throw new Error("no snapshot queued");
    await admin.client.commands.cancel.mutate({ commandId: snapshot.id });
    expect((await commandById(installId)).status).toBe("failed");
    expect((await commandById(installId)).output).toContain(`command ${snapshot.id}) ended cancelled`);
    expect(await takeCommands(web)).toEqual([]);
  });

  test("a snapshot whose node went silent times out, and the install with it", async () => {
    const { admin, node, web } = await setUp();
    const installId = await install(admin, web);
    const [leased] = await takeCommands(node);
    if (!leased) throw new Error("the node was handed nothing");
    // The node starts it (its progress acknowledges the lease), then is never heard of again.
    await node.client.agent.reportProgress.mutate({
      commandId: leased.id,
      percent: 0,
      message: "Started snapshot",
    });
    await server.api.db.transaction((tx) =>
      expireLeases(tx, { now: new Date(Date.now() + 3 * 24 * 60 * 60 * 1000) }),
    );
    expect((await commandById(leased.id)).status).toBe("timed_out");
    expect((await commandById(installId)).status).toBe("failed");
    expect((await commandById(installId)).output).toContain(`command ${leased.id}) ended timed out`);
    expect(await takeCommands(web)).toEqual([]);
  });

  test("a guest the setting does not cover, or a guest whose node runs no agent, installs at once", async () => {
    const { admin, node, db } = await setUp();
    const installId = await install(admin, db);
    expect(await commandsOf(node.agentId)).toEqual([]);
    expect((await takeCommands(db)).map((command) => command.id)).toEqual([installId]);

    // Covered by its agent id, but a plain host (not a guest of any node): nothing to snapshot.
    const plain = await registerAgent(server, admin, { hostname: "plain" });
    await plain.client.agent.reportScan.mutate(scanReport([aptItem("curl")]));
    await admin.client.settings.set.mutate({
      key: "snapshotBeforePatch",
      value: { tags: [], agentIds: [plain.agentId, db.agentId], keep: 2 },
    });
    const plainInstall = await install(admin, plain);
    expect(await commandsOf(node.agentId)).toEqual([]);
    expect((await takeCommands(plain)).map((command) => command.id)).toEqual([plainInstall]);
  });

  test("a VM covered by its agent id is snapshotted with qm's guest type", async () => {
    const { admin, node, db } = await setUp();
    await admin.client.settings.set.mutate({
      key: "snapshotBeforePatch",
      value: { tags: [], agentIds: [db.agentId], keep: 5 },
    });
    const installId = await install(admin, db);
    const [snapshot] = await commandsOf(node.agentId);
    expect(snapshot?.parameters).toEqual({
      vmid: 200,
      guestType: "qemu",
      snapshotName: `redflag-${installId}`,
      keep: 5,
    });
    expect(await takeCommands(db)).toEqual([]);
  });

  test("an admin rolls a guest back to a succeeded snapshot: a snapshot_rollback for the node, audited", async () => {
    const { admin, node, web } = await setUp();
    const installId = await install(admin, web);
    const [snapshot] = await takeCommands(node);
    if (!snapshot) throw new Error("the node was handed nothing");

    // Not before the snapshot succeeded.
    expect(
      await errorCodeOf(admin.client.proxmox.rollbackToSnapshot.mutate({ snapshotCommandId: snapshot.id })),
    ).toBe("CONFLICT");
    await report(node, snapshot, "succeeded");

    const operator = await signIn(server, "operator");
    expect(
      await errorCodeOf(
        operator.client.proxmox.rollbackToSnapshot.mutate({ snapshotCommandId: snapshot.id }),
      ),
    ).toBe("FORBIDDEN");
    // The install is not a snapshot.
    expect(
      await errorCodeOf(admin.client.proxmox.rollbackToSnapshot.mutate({ snapshotCommandId: installId })),
    ).toBe("NOT_FOUND");

    const { id } = await admin.client.proxmox.rollbackToSnapshot.mutate({ snapshotCommandId: snapshot.id });
    const [rollback] = await takeCommands(node);
    expect(rollback).toMatchObject({
      id,
      type: "snapshot_rollback",
      parameters: { vmid: 101, guestType: "lxc", snapshotName: `redflag-${installId}` },
    });
    const [event] = await server.api.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "command.create"), eq(auditEvents.entityId, id)));
    expect(event?.actorType).toBe("user");
  });
});
