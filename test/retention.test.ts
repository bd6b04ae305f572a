import { describe, expect, test } from "bun:test";
import { applyRetention } from "@redflag/api/services/retention/apply-retention.ts";
import { newId, type ScannerSummary } from "@redflag/contracts";
import {
  auditEvents,
  commandLogs,
  commands,
  notificationDeliveries,
  notificationTargets,
  scans,
} from "@redflag/db";
import { asc, eq, inArray } from "drizzle-orm";
import { registerAgent, signIn } from "./harness/fixtures.ts";
import { type TestServer, useTestServer } from "./harness/server.ts";

let server: TestServer;
useTestServer((started) => {
  server = started;
});

const dayMs = 24 * 60 * 60 * 1000;

/** Rows of every kind retention touches: audit events (from real API calls), three scans, command logs. */
async function createHistory() {
  const admin = await signIn(server, "admin");
  const agent = await registerAgent(server, admin);
  for (const label of ["one", "two"])
    await admin.client.registrationTokens.create.mutate({ label, seats: 1 });
  const db = server.api.db;
  const scanner: ScannerSummary = {
    packageType: "apt",
    status: "ok",
    error: null,
    errorKind: null,
    retryable: false,
    itemCount: 1,
  };
  for (let index = 0; index < 3; index++) {
    const now = new Date();
    await db.insert(scans).values({
      id: newId("scan"),
      agentId: agent.agentId,
      scanners: [scanner],
      opened: 1,
      changed: 0,
      closed: 0,
      startedAt: now,
      finishedAt: now,
    });
  }
  const commandId = newId("command");
  await db
    .insert(commands)
    .values({ id: commandId, agentId: agent.agentId, type: "scan", status: "running", maxAttempts: 3 });
  for (const percent of [0, 10, 50, 90]) {
    await db.insert(commandLogs).values({
      id: newId("commandLog"),
      commandId,
      attempt: 1,
      kind: percent === 0 ? "leased" : "progress",
      percent,
      message: `at ${percent}`,
    });
  }
}

/** Ages the first half of `ids` to just past `days`, the rest to just within it; returns [old, young]. */
function splitByAge<Id extends string>(ids: Id[], days: number, now: Date) {
  const middle = Math.ceil(ids.length / 2);
  return {
    old: ids.slice(0, middle),
    young: ids.slice(middle),
    oldAt: new Date(now.getTime() - (days + 1) * dayMs),
    youngAt: new Date(now.getTime() - (days - 1) * dayMs),
  };
}

describe("retention", () => {
  test("deletes audit events, scans and command logs past their age, in batches, and nothing else", async () => {
    await createHistory();
    const db = server.api.db;
    const now = new Date();

    const auditIds = (
      await db.select({ id: auditEvents.id }).from(auditEvents).orderBy(asc(auditEvents.id))
    ).map((row) => row.id);
    const scanIds = (await db.select({ id: scans.id }).from(scans).orderBy(asc(scans.id))).map(
      (row) => row.id,
    );
    const logIds = (
      await db.select({ id: commandLogs.id }).from(commandLogs).orderBy(asc(commandLogs.id))
    ).map((row) => row.id);
    expect(auditIds.length).toBeGreaterThanOrEqual(4);
    expect(scanIds.length).toBe(3);
    expect(logIds.length).toBeGreaterThanOrEqual(2);

    const audit = splitByAge(auditIds, 365, now);
    const scan = splitByAge(scanIds, 90, now);
    const log = splitByAge(logIds, 90, now);
    await db.update(auditEvents).set({ createdAt: audit.oldAt }).where(inArray(auditEvents.id, audit.old));
    await db
      .update(auditEvents)
      .set({ createdAt: audit.youngAt })
      .where(inArray(auditEvents.id, audit.young));
    await db.update(scans).set({ receivedAt: scan.oldAt }).where(inArray(scans.id, scan.old));
    await db.update(scans).set({ receivedAt: scan.youngAt }).where(inArray(scans.id, scan.young));
    await db.update(commandLogs).set({ createdAt: log.oldAt }).where(inArray(commandLogs.id, log.old));
    await db.update(commandLogs).set({ createdAt: log.youngAt }).where(inArray(commandLogs.id, log.young));

    // Batches of one: the limit stops each kind after two batches, the next call finishes.
    const first = await applyRetention(db, { now, batchSize: 1, maxBatches: 2 });
    expect(first.complete).toBe(false);
    expect(first.deleted.auditEvents).toBe(Math.min(2, audit.old.length));
    const second = await applyRetention(db, { now, batchSize: 1, maxBatches: 1_000 });
    expect(second.complete).toBe(true);
    expect(first.deleted.auditEvents + second.deleted.auditEvents).toBe(audit.old.length);
    expect(first.deleted.scans + second.deleted.scans).toBe(scan.old.length);
    expect(first.deleted.commandLogs + second.deleted.commandLogs).toBe(log.old.length);

    const remaining = async () => ({
      audit: (
        await db.select({ id: auditEvents.id }).from(auditEvents).where(inArray(auditEvents.id, auditIds))
      )
        .map((row) => row.id)
        .sort(),
      scans: (await db.select({ id: scans.id }).from(scans)).map((row) => row.id).sort(),
      logs: (await db.select({ id: commandLogs.id }).from(commandLogs).where(inArray(commandLogs.id, logIds)))
        .map((row) => row.id)
        .sort(),
    });
    expect(await remaining()).toEqual({
      audit: [...audit.young].sort(),
      scans: [...scan.young].sort(),
      logs: [...log.young].sort(),
    });
    // Nothing left to do: a further run deletes nothing.
    const third = await applyRetention(db, { now });
    expect(third).toEqual({
      deleted: { auditEvents: 0, scans: 0, commandLogs: 0, notificationDeliveries: 0 },
      complete: true,
    });
  });

  test("the notification delivery log keeps what is still to be sent, and what is young", async () => {
    const db = server.api.db;
    const now = new Date();
    const targetId = newId("notificationTarget");
    await db
      .insert(notificationTargets)
      .values({ id: targetId, name: "log", kind: "ntfy", events: ["test"] });
    const old = new Date(now.getTime() - 91 * dayMs);
    const young = new Date(now.getTime() - 89 * dayMs);
    const rows = (
      [
        ["old-sent", "sent", old],
        ["old-failed", "failed", old],
        ["old-pending", "pending", old],
        ["young-sent", "sent", young],
      ] as const
    ).map(([dedupKey, status, createdAt]) => ({
      id: newId("notificationDelivery"),
      targetId,
      event: "test" as const,
      dedupKey,
      title: dedupKey,
      body: "",
      status,
      createdAt,
    }));
    await db.insert(notificationDeliveries).values(rows);
    expect((await applyRetention(db, { now })).deleted.notificationDeliveries).toBe(2);
    const left = await db
      .select({ dedupKey: notificationDeliveries.dedupKey })
      .from(notificationDeliveries)
      .where(eq(notificationDeliveries.targetId, targetId));
    expect(left.map((row) => row.dedupKey).sort()).toEqual(["old-pending", "young-sent"]);
  });

  test("0 keeps forever; a shorter setting deletes sooner", async () => {
    const db = server.api.db;
    const now = new Date();
    const admin = await signIn(server, "admin");
    const ancient = new Date(now.getTime() - 10_000 * dayMs);
    await db.update(scans).set({ receivedAt: ancient });
    const scanCount = (await db.select({ id: scans.id }).from(scans)).length;
    expect(scanCount).toBeGreaterThan(0);
    await admin.client.settings.set.mutate({ key: "scanRetentionDays", value: 0 });
    expect((await applyRetention(db, { now })).deleted.scans).toBe(0);
    await admin.client.settings.set.mutate({ key: "scanRetentionDays", value: 1 });
    expect((await applyRetention(db, { now })).deleted.scans).toBe(scanCount);
  });
});
