import { afterEach, describe, expect, test } from "bun:test";
import { runMaintenanceWindows } from "@redflag/api/services/maintenance-windows/run-windows.ts";
import { newId } from "@redflag/contracts";
import {
  maintenanceWindows,
  notificationDeliveries,
  notificationTargets,
  updates,
  windowRuns,
} from "@redflag/db";
import { eq, inArray } from "drizzle-orm";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import {
  agentWithApprovedUpdates,
  commandsOf,
  creatorOf,
  deleteAllWindows,
  finishCommand,
  lastSeenAt,
  runsOf,
  takeCommands,
  testClock,
  windowDefaults,
  windowTickAt,
} from "./harness/maintenance-windows.ts";
import { errorCodeOf, type TestServer, useTestServer } from "./harness/server.ts";

const clock = testClock("2026-06-01T00:00:00Z");
let server: TestServer;
useTestServer(
  (started) => {
    server = started;
  },
  { clock: clock.now },
);

afterEach(async () => {
  await deleteAllWindows(server);
  await server.api.db.delete(notificationTargets);
});

const tick = (at: string) => windowTickAt(server, clock, at);

describe("maintenance windows", () => {
  test("approved updates install only inside the window, queued by the window and audited as it", async () => {
    const admin = await signIn(server, "admin");
    const agent = await agentWithApprovedUpdates(server, admin, ["bash", "curl"]);
    const window = await admin.client.maintenanceWindows.create.mutate({
      ...windowDefaults,
      agentIds: [agent.agentId],
    });

    await tick("2026-06-01T02:59:00Z");
    expect(await commandsOf(server, [agent.agentId])).toEqual([]);
    expect(await runsOf(server, agent.agentId)).toEqual([]);

    await tick("2026-06-01T03:00:30Z");
    const queued = await commandsOf(server, [agent.agentId]);
    expect(queued.map((command) => [command.type, command.targets.length, command.createdBy])).toEqual([
      ["install", 2, null],
    ]);
    const [install] = queued;
    if (!install) throw new Error("no install");
    expect(await creatorOf(server, install.id)).toEqual({ actorType: "automation", actorId: window.id });
    const [run] = await runsOf(server, agent.agentId);
    expect(run).toMatchObject({
      windowId: window.id,
      status: "installing",
      installCommandId: install.id,
      opensAt: new Date("2026-06-01T03:00:00Z"),
      closesAt: new Date("2026-06-01T04:00:00Z"),
    });

    // Running the job again in the same occurrence queues nothing more.
    await tick("2026-06-01T03:01:30Z");
    expect(await commandsOf(server, [agent.agentId])).toHaveLength(1);

    const [leased] = await takeCommands(agent);
    if (!leased) throw new Error("install not leased");
    await finishCommand(agent, leased);
    await tick("2026-06-01T03:05:00Z");
    expect((await runsOf(server, agent.agentId)).map((row) => row.status)).toEqual(["done"]);
    const { items } = await admin.client.updates.list.query({ agentId: agent.agentId });
    expect(items.map((item) => item.status)).toEqual(["installed", "installed"]);

    // The next occurrence finds nothing approved: no command, and its run says so at the close.
    await tick("2026-06-02T03:00:30Z");
    await tick("2026-06-02T04:00:30Z");
    expect(await commandsOf(server, [agent.agentId])).toHaveLength(1);
    expect((await runsOf(server, agent.agentId)).map((row) => row.status)).toEqual(["done", "skipped"]);
  });

  test("an update approved while the window is open is installed in it", async () => {
    const admin = await signIn(server, "admin");
    const agent = await registerAgent(server, admin);
    await takeCommands(agent);
    await admin.client.maintenanceWindows.create.mutate({
      ...windowDefaults,
      scan: true,
      agentIds: [agent.agentId],
    });
    await tick("2026-06-02T03:00:30Z");
    const [scan] = await takeCommands(agent);
    if (scan?.type !== "scan") throw new Error("no scan at the opening");
    await agent.client.agent.reportScan.mutate(scanReport([aptItem("openssh-server")]));
    await finishCommand(agent, scan);
    await tick("2026-06-02T03:05:00Z");
    expect(await runsOf(server, agent.agentId)).toMatchObject([
      { status: "waiting", installCommandId: null },
    ]);
    // A policy (or an admin) approves what the scan found; the next pass installs it.
    const { items } = await admin.client.updates.list.query({ agentId: agent.agentId });
    await admin.client.updates.approve.mutate({ updateIds: items.map((item) => item.id) });
    await tick("2026-06-02T03:10:00Z");
    expect((await commandsOf(server, [agent.agentId])).map((command) => command.type)).toEqual([
      "scan",
      "install",
    ]);
  });

  test("a window for a tag acts only on the agents carrying it", async () => {
    const admin = await signIn(server, "admin");
    const tagged = await agentWithApprovedUpdates(server, admin, ["postgresql-15"]);
    const other = await agentWithApprovedUpdates(server, admin, ["nginx"]);
    await admin.client.agents.configure.mutate({ agentId: tagged.agentId, tags: ["db"] });
    await admin.client.maintenanceWindows.create.mutate({ ...windowDefaults, tags: ["db"] });
    await tick("2026-06-02T03:00:30Z");
    expect((await commandsOf(server, [tagged.agentId])).map((command) => command.type)).toEqual(["install"]);
    expect(await commandsOf(server, [other.agentId])).toEqual([]);
    expect(await runsOf(server, other.agentId)).toEqual([]);
  });

  test("a window disabled while open queues nothing more", async () => {
    const admin = await signIn(server, "admin");
    const agent = await agentWithApprovedUpdates(server, admin, ["htop"]);
    await lastSeenAt(server, agent.agentId, new Date("2026-06-01T00:00:00Z"));
    const window = await admin.client.maintenanceWindows.create.mutate({
      ...windowDefaults,
      agentIds: [agent.agentId],
    });
    await tick("2026-06-02T03:00:30Z");
    await admin.client.maintenanceWindows.setEnabled.mutate({ windowId: window.id, enabled: false });
    await takeCommands(agent);
    await tick("2026-06-02T03:10:00Z");
    expect(await commandsOf(server, [agent.agentId])).toEqual([]);
    expect(await runsOf(server, agent.agentId)).toMatchObject([
      { status: "skipped", detail: "the window was disabled before its work started" },
    ]);
  });

  test("a window that scans queues a scan at its opening, then the install", async () => {
    const admin = await signIn(server, "admin");
    const agent = await agentWithApprovedUpdates(server, admin, ["openssl"]);
    await admin.client.maintenanceWindows.create.mutate({
      ...windowDefaults,
      scan: true,
      agentIds: [agent.agentId],
    });
    await tick("2026-06-03T03:00:10Z");
    expect((await commandsOf(server, [agent.agentId])).map((command) => command.type)).toEqual([
      "scan",
      "install",
    ]);
    const [run] = await runsOf(server, agent.agentId);
    expect(run?.scanCommandId).not.toBeNull();
    expect(run?.installCommandId).not.toBeNull();
  });

  test("work not started when the window closes stays approved and is installed in the next occurrence", async () => {
    const admin = await signIn(server, "admin");
    await admin.client.settings.set.mutate({ key: "maxConcurrentInstalls", value: 1 });
    try {
      const hosts = [
        await agentWithApprovedUpdates(server, admin, ["vim"]),
        await agentWithApprovedUpdates(server, admin, ["nano"]),
      ];
      await admin.client.maintenanceWindows.create.mutate({
        ...windowDefaults,
        agentIds: hosts.map((host) => host.agentId),
      });
      await tick("2026-06-04T03:00:30Z");
      // One slot: one host installs (and takes all night); the other waits.
      const [install] = await commandsOf(
        server,
        hosts.map((host) => host.agentId),
      );
      const first = hosts.find((host) => host.agentId === install?.agentId);
      const second = hosts.find((host) => host.agentId !== install?.agentId);
      if (!first || !second) throw new Error("no install queued");
      expect((await commandsOf(server, [first.agentId])).map((command) => command.type)).toEqual(["install"]);
      expect(await commandsOf(server, [second.agentId])).toEqual([]);
      await tick("2026-06-04T03:30:00Z");
      expect(await commandsOf(server, [second.agentId])).toEqual([]);

      await tick("2026-06-04T04:00:30Z");
      expect(await runsOf(server, second.agentId)).toMatchObject([{ status: "skipped" }]);
      expect((await runsOf(server, second.agentId))[0]?.detail).toContain("wait for the next window");
      const { items } = await admin.client.updates.list.query({ agentId: second.agentId });
      expect(items.map((item) => item.status)).toEqual(["approved"]);
      // Outside the window nothing is queued, even with the slot free.
      const [leased] = await takeCommands(first);
      if (!leased) throw new Error("install not leased");
      await finishCommand(first, leased);
      await tick("2026-06-04T12:00:00Z");
      expect(await commandsOf(server, [second.agentId])).toEqual([]);

      await tick("2026-06-05T03:00:30Z");
      expect((await commandsOf(server, [second.agentId])).map((command) => command.type)).toEqual([
        "install",
      ]);
    } finally {
      await admin.client.settings.set.mutate({ key: "maxConcurrentInstalls", value: 10 });
    }
  });

  test("a host offline through the window is missed, and catches up within the grace period after its return", async () => {
    const admin = await signIn(server, "admin");
    const agent = await agentWithApprovedUpdates(server, admin, ["git"]);
    await lastSeenAt(server, agent.agentId, new Date("2026-06-05T12:00:00Z"));
    await admin.client.maintenanceWindows.create.mutate({
      ...windowDefaults,
      agentIds: [agent.agentId],
      catchUpGraceMinutes: 30,
    });
    await tick("2026-06-06T03:00:30Z");
    await tick("2026-06-06T03:30:00Z");
    expect(await commandsOf(server, [agent.agentId])).toEqual([]);
    await tick("2026-06-06T04:00:30Z");
    const [missed] = await runsOf(server, agent.agentId);
    expect(missed).toMatchObject({ status: "missed", caughtUpAt: null });
    expect(missed?.detail).toContain("catches up within 30 minutes");
    await tick("2026-06-06T05:00:00Z");
    expect(await commandsOf(server, [agent.agentId])).toEqual([]);

    // Back after the window: its check-in is later than the close.
    await lastSeenAt(server, agent.agentId, new Date("2026-06-06T06:59:00Z"));
    await tick("2026-06-06T07:00:00Z");
    const [caughtUp] = await runsOf(server, agent.agentId);
    expect(caughtUp).toMatchObject({ status: "installing", caughtUpAt: new Date("2026-06-06T07:00:00Z") });
    expect((await commandsOf(server, [agent.agentId])).map((command) => command.type)).toEqual(["install"]);
    const [leased] = await takeCommands(agent);
    if (!leased) throw new Error("install not leased");
    await finishCommand(agent, leased);
    await tick("2026-06-06T07:05:00Z");
    expect((await runsOf(server, agent.agentId)).map((run) => [run.status, run.caughtUpAt !== null])).toEqual(
      [["done", true]],
    );
    const { items } = await admin.client.maintenanceWindows.occurrences.query({ limit: 5 });
    expect(items).toMatchObject([{ hosts: 1, done: 1, missed: 0, caughtUp: 1 }]);
  });

  test("a host back after its window whose catch-up cannot start within the grace period is missed again, its updates still approved", async () => {
    const admin = await signIn(server, "admin");
    await admin.client.settings.set.mutate({ key: "maxConcurrentInstalls", value: 1 });
    try {
      const away = await agentWithApprovedUpdates(server, admin, ["unzip"]);
      const busy = await agentWithApprovedUpdates(server, admin, ["gzip"]);
      await lastSeenAt(server, away.agentId, new Date("2026-06-13T00:00:00Z"));
      await admin.client.maintenanceWindows.create.mutate({
        ...windowDefaults,
        agentIds: [away.agentId],
        catchUpGraceMinutes: 10,
      });
      await admin.client.maintenanceWindows.create.mutate({
        ...windowDefaults,
        name: "early",
        schedule: "0 5 * * *",
        agentIds: [busy.agentId],
      });
      await tick("2026-06-13T03:00:30Z");
      await tick("2026-06-13T04:00:30Z");
      // The other window's install takes the one fleet-wide slot, and keeps it.
      await tick("2026-06-13T05:00:30Z");
      expect((await commandsOf(server, [busy.agentId])).map((command) => command.type)).toEqual(["install"]);
      await lastSeenAt(server, away.agentId, new Date("2026-06-13T05:04:00Z"));
      await tick("2026-06-13T05:05:00Z");
      expect(await runsOf(server, away.agentId)).toMatchObject([
        { status: "waiting", caughtUpAt: new Date("2026-06-13T05:05:00Z") },
      ]);
      await tick("2026-06-13T05:15:30Z");
      const [run] = await runsOf(server, away.agentId);
      expect(run).toMatchObject({ status: "missed", caughtUpAt: new Date("2026-06-13T05:05:00Z") });
      expect(run?.detail).toContain("grace period ended");
      expect(await commandsOf(server, [away.agentId])).toEqual([]);
      const { items } = await admin.client.updates.list.query({ agentId: away.agentId });
      expect(items.map((item) => item.status)).toEqual(["approved"]);
      const occurrences = await admin.client.maintenanceWindows.occurrences.query({ limit: 5 });
      expect(occurrences.items.find((row) => row.windowName === "nightly")).toMatchObject({
        missed: 1,
        caughtUp: 0,
      });
    } finally {
      await admin.client.settings.set.mutate({ key: "maxConcurrentInstalls", value: 10 });
    }
  });

  test("with no grace period a host that missed its window waits for the next one", async () => {
    const admin = await signIn(server, "admin");
    const agent = await agentWithApprovedUpdates(server, admin, ["zsh"]);
    await lastSeenAt(server, agent.agentId, new Date("2026-06-07T12:00:00Z"));
    await admin.client.maintenanceWindows.create.mutate({ ...windowDefaults, agentIds: [agent.agentId] });
    await tick("2026-06-08T03:00:30Z");
    await tick("2026-06-08T04:00:30Z");
    await lastSeenAt(server, agent.agentId, new Date("2026-06-08T08:00:00Z"));
    await tick("2026-06-08T08:00:30Z");
    expect(await runsOf(server, agent.agentId)).toMatchObject([{ status: "missed", caughtUpAt: null }]);
    expect(await commandsOf(server, [agent.agentId])).toEqual([]);

    await lastSeenAt(server, agent.agentId, new Date("2026-06-09T02:59:00Z"));
    await tick("2026-06-09T03:00:30Z");
    expect((await runsOf(server, agent.agentId)).map((run) => run.status)).toEqual(["missed", "installing"]);
    expect((await commandsOf(server, [agent.agentId])).map((command) => command.type)).toEqual(["install"]);
  });

  for (const [day, from, to, opensAt] of [
    // 02:30 does not exist on spring-forward day: the window opens once, at 03:00 CEST.
    ["spring-forward", "2026-03-28T23:00:00Z", "2026-03-29T04:00:00Z", "2026-03-29T01:00:00Z"],
    // 02:30 happens twice on fall-back day: the window opens once, at the first.
    ["fall-back", "2026-10-24T23:00:00Z", "2026-10-25T04:00:00Z", "2026-10-25T00:30:00Z"],
  ] as const) {
    test(`Europe/Berlin ${day} day opens the window exactly once`, async () => {
      const admin = await signIn(server, "admin");
      const agent = await registerAgent(server, admin);
      await admin.client.maintenanceWindows.create.mutate({
        ...windowDefaults,
        schedule: "30 2 * * *",
        timeZone: "Europe/Berlin",
        agentIds: [agent.agentId],
      });
      for (let at = Date.parse(from); at <= Date.parse(to); at += 5 * 60_000) {
        await tick(new Date(at).toISOString());
      }
      expect((await runsOf(server, agent.agentId)).map((run) => run.opensAt.toISOString())).toEqual([
        new Date(opensAt).toISOString(),
      ]);
    });
  }

  test("the fleet-wide limit of automated installs is never exceeded, and every host gets its turn", async () => {
    const admin = await signIn(server, "admin");
    await admin.client.settings.set.mutate({ key: "maxConcurrentInstalls", value: 2 });
    try {
      const fleet = [];
      for (let index = 0; index < 6; index++)
        fleet.push(await agentWithApprovedUpdates(server, admin, [`pkg-${index}`]));
      const agentIds = fleet.map((agent) => agent.agentId);
      await admin.client.maintenanceWindows.create.mutate({ ...windowDefaults, agentIds });
      let most = 0;
      for (let minute = 0; minute < 12; minute++) {
        await tick(new Date(Date.parse("2026-06-10T03:00:30Z") + minute * 60_000).toISOString());
        const open = (await commandsOf(server, agentIds)).filter((command) =>
          ["pending", "sent", "running"].includes(command.status),
        );
        most = Math.max(most, open.length);
        expect(open.length).toBeLessThanOrEqual(2);
        // Each host with an install finishes it before the next tick.
        for (const agent of fleet) {
          for (const command of await takeCommands(agent)) await finishCommand(agent, command);
        }
      }
      expect(most).toBe(2);
      const installs = (await commandsOf(server, agentIds)).filter((command) => command.type === "install");
      expect(installs).toHaveLength(6);
      expect(installs.every((command) => command.status === "succeeded")).toBe(true);
    } finally {
      await admin.client.settings.set.mutate({ key: "maxConcurrentInstalls", value: 10 });
    }
  });

  test("two passes of the job at once (a crash and a re-run) queue nothing twice", async () => {
    const admin = await signIn(server, "admin");
    await admin.client.settings.set.mutate({ key: "maxConcurrentInstalls", value: 1 });
    try {
      const first = await agentWithApprovedUpdates(server, admin, ["rsync"]);
      const second = await agentWithApprovedUpdates(server, admin, ["tar"]);
      const agentIds = [first.agentId, second.agentId];
      await admin.client.maintenanceWindows.create.mutate({ ...windowDefaults, scan: true, agentIds });
      const now = new Date("2026-06-11T03:00:30Z");
      await Promise.all([
        runMaintenanceWindows(server.api.db, { now }),
        runMaintenanceWindows(server.api.db, { now }),
        runMaintenanceWindows(server.api.db, { now }),
      ]);
      await runMaintenanceWindows(server.api.db, { now });
      const runs = await server.api.db.select().from(windowRuns).where(inArray(windowRuns.agentId, agentIds));
      expect(runs).toHaveLength(2);
      const queued = await commandsOf(server, agentIds);
      expect(queued.filter((command) => command.type === "scan")).toHaveLength(2);
      // One slot fleet-wide: one install, however many passes raced for it.
      expect(queued.filter((command) => command.type === "install")).toHaveLength(1);
    } finally {
      await admin.client.settings.set.mutate({ key: "maxConcurrentInstalls", value: 10 });
    }
  });

  test("invalid windows are refused with what is wrong, and nothing is saved", async () => {
    const admin = await signIn(server, "admin");
    const cases = [
      [{ schedule: "61 3 * * *" }, "minute"],
      [{ schedule: "0 0 3 * * *" }, "five fields"],
      [{ schedule: "@daily" }, "five fields"],
      [{ timeZone: "Mars/Olympus" }, "IANA time zone"],
      [{ schedule: "*/30 * * * *", durationMinutes: 60 }, "before a 60-minute window closes"],
      [{ durationMinutes: 0 }, "durationMinutes"],
      [{ name: " " }, "name"],
    ] as const;
    for (const [change, message] of cases) {
      const call = admin.client.maintenanceWindows.create.mutate({ ...windowDefaults, ...change });
      await expect(call).rejects.toThrow(message);
      expect(
        await errorCodeOf(admin.client.maintenanceWindows.create.mutate({ ...windowDefaults, ...change })),
      ).toBe("BAD_REQUEST");
    }
    expect(await server.api.db.select().from(maintenanceWindows)).toEqual([]);

    const saved = await admin.client.maintenanceWindows.create.mutate(windowDefaults);
    expect(
      await errorCodeOf(
        admin.client.maintenanceWindows.update.mutate({
          ...windowDefaults,
          windowId: saved.id,
          schedule: "0 25 * * *",
        }),
      ),
    ).toBe("BAD_REQUEST");
    const [after] = await server.api.db.select().from(maintenanceWindows);
    expect(after?.schedule).toBe("0 3 * * *");

    const viewer = await signIn(server, "viewer");
    expect(await errorCodeOf(viewer.client.maintenanceWindows.create.mutate(windowDefaults))).toBe(
      "FORBIDDEN",
    );
  });

  test("the schedule preview lists the next openings in the window's zone", async () => {
    const admin = await signIn(server, "viewer");
    const preview = await admin.client.maintenanceWindows.previewSchedule.query({
      schedule: "0 3 * * 0",
      timeZone: "Europe/Berlin",
      durationMinutes: 120,
      count: 3,
    });
    expect(preview.description).toBe("every Sunday at 03:00");
    expect(preview.openings).toHaveLength(3);
    for (const opening of preview.openings) {
      expect(opening.local).toMatch(/^Sun \d{4}-\d{2}-\d{2} 03:00 /);
      expect(opening.closesAt.getTime() - opening.opensAt.getTime()).toBe(120 * 60_000);
    }
    expect(
      await errorCodeOf(
        admin.client.maintenanceWindows.previewSchedule.query({
          schedule: "0 3 * *",
          timeZone: "UTC",
          durationMinutes: 60,
        }),
      ),
    ).toBe("BAD_REQUEST");
  });

  test("one automation_summary per occurrence, when it closed", async () => {
    const admin = await signIn(server, "admin");
    await server.api.db.insert(notificationTargets).values({
      id: newId("notificationTarget"),
      name: "ops",
      kind: "webhook",
      enabled: true,
      config: { url: "http://127.0.0.1:9/hook" },
      events: ["automation_summary"],
      tags: [],
    });
    const present = await agentWithApprovedUpdates(server, admin, ["less", "sed"]);
    const away = await agentWithApprovedUpdates(server, admin, ["grep"]);
    const failing = await agentWithApprovedUpdates(server, admin, ["libc6"]);
    await lastSeenAt(server, away.agentId, new Date("2026-06-11T12:00:00Z"));
    const window = await admin.client.maintenanceWindows.create.mutate({
      ...windowDefaults,
      agentIds: [present.agentId, away.agentId, failing.agentId],
    });
    await tick("2026-06-12T03:00:30Z");
    for (const command of await takeCommands(present)) await finishCommand(present, command);
    for (const command of await takeCommands(failing)) await finishCommand(failing, command, "failed");
    await tick("2026-06-12T03:10:00Z");
    const dedupKey = `window:${window.id}:2026-06-12T03:00:00.000Z`;
    const deliveriesOf = () =>
      server.api.db
        .select()
        .from(notificationDeliveries)
        .where(eq(notificationDeliveries.dedupKey, dedupKey));
    expect(await deliveriesOf()).toEqual([]);
    await tick("2026-06-12T04:00:30Z");
    await tick("2026-06-12T04:01:30Z");
    await runMaintenanceWindows(server.api.db, { now: new Date("2026-06-12T04:02:00Z") });
    const deliveries = await deliveriesOf();
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.body).toBe(
      "Window nightly: 2 updates installed on 1 host, 1 failed, 0 rebooted, 1 missed",
    );
    expect(deliveries[0]?.event).toBe("automation_summary");

    const occurrences = await admin.client.maintenanceWindows.occurrences.query({ windowId: window.id });
    expect(occurrences.items).toMatchObject([
      { hosts: 3, done: 1, missed: 1, failed: 1, caughtUp: 0, active: 0 },
    ]);
    const updated = await server.api.db.select().from(updates).where(eq(updates.agentId, away.agentId));
    expect(updated.map((row) => row.status)).toEqual(["approved"]);
  });
});
