import { afterEach, describe, expect, test } from "bun:test";
import { downloadProfiles } from "@redflag/db";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import {
  agentWithApprovedUpdates,
  checkIn,
  commandsOf,
  creatorOf,
  deleteAllWindows,
  runsOf,
  takeCommands,
  testClock,
  windowDefaults,
  windowTickAt,
} from "./harness/maintenance-windows.ts";
import { type TestServer, useTestServer } from "./harness/server.ts";

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
  await server.api.db.delete(downloadProfiles);
});

const tick = (at: string) => windowTickAt(server, clock, at);

describe("pre-download before a maintenance window", () => {
  test("the window's lead time queues one download of the approved apt updates; the result marks them downloaded; the window then installs", async () => {
    const admin = await signIn(server, "admin");
    const agent = await agentWithApprovedUpdates(server, admin, ["bash", "curl"]);
    await admin.client.downloadProfiles.create.mutate({
      name: "Everyone",
      tags: [],
      agentIds: [],
      limitKibPerSecond: 1024,
      aptProxy: null,
      dnfProxy: null,
      dockerRegistryMirror: null,
    });
    const window = await admin.client.maintenanceWindows.create.mutate({
      ...windowDefaults,
      agentIds: [agent.agentId],
      preDownloadMinutes: 45,
    });
    expect(window.preDownloadMinutes).toBe(45);

    await tick("2026-06-01T02:14:00Z");
    expect(await commandsOf(server, [agent.agentId])).toEqual([]);

    await tick("2026-06-01T02:15:30Z");
    const queued = await commandsOf(server, [agent.agentId]);
    expect(
      queued.map((command) => [command.type, command.targets.map((target) => target.packageName)]),
    ).toEqual([["download", ["bash", "curl"]]]);
    const [download] = queued;
    if (!download) throw new Error("no download");
    expect(await creatorOf(server, download.id)).toEqual({ actorType: "automation", actorId: window.id });
    // Another pass in the lead time queues nothing more, and no window run has opened.
    await tick("2026-06-01T02:30:00Z");
    expect(await commandsOf(server, [agent.agentId])).toHaveLength(1);
    expect(await runsOf(server, agent.agentId)).toEqual([]);

    const [leased] = await takeCommands(agent);
    expect(leased?.type).toBe("download");
    // Leased with the host's download profile, as an install is.
    expect(leased?.parameters.download).toMatchObject({ limitKibPerSecond: 1024 });
    const [bash, curl] = download.targets;
    if (!bash || !curl) throw new Error("targets missing");
    await agent.client.agent.reportResult.mutate({
      commandId: download.id,
      status: "failed",
      exitCode: 1,
      output: "curl: not in apt's cache",
      startedAt: new Date(),
      finishedAt: new Date(),
      items: [],
      // An id the command did not carry is ignored.
      result: { downloaded: [bash.updateId, "upd_0000000000000000000000zzzz"] },
    });
    const { items } = await admin.client.updates.list.query({ agentId: agent.agentId });
    expect(items.map((item) => [item.packageName, item.status, item.downloadedAt !== null])).toEqual([
      ["bash", "approved", true],
      ["curl", "approved", false],
    ]);
    // Nothing installed, and the failed part is not retried in this lead time.
    await tick("2026-06-01T02:40:00Z");
    expect((await commandsOf(server, [agent.agentId])).map((command) => command.type)).toEqual(["download"]);

    // The window opens: it installs both, as before.
    await tick("2026-06-01T03:00:30Z");
    const after = await commandsOf(server, [agent.agentId]);
    expect(after.map((command) => [command.type, command.targets.length])).toEqual([
      ["download", 2],
      ["install", 2],
    ]);
  });

  test("a newer version offered after the download is not downloaded any more; 0 minutes turns it off", async () => {
    const admin = await signIn(server, "admin");
    const agent = await agentWithApprovedUpdates(server, admin, ["zlib"]);
    await admin.client.maintenanceWindows.create.mutate({
      ...windowDefaults,
      agentIds: [agent.agentId],
      preDownloadMinutes: 60,
    });
    await tick("2026-06-02T02:30:00Z");
    const [download] = await takeCommands(agent);
    if (download?.type !== "download") throw new Error("no download leased");
    await agent.client.agent.reportResult.mutate({
      commandId: download.id,
      status: "succeeded",
      exitCode: 0,
      output: "",
      startedAt: new Date(),
      finishedAt: new Date(),
      items: [],
      result: { downloaded: download.targets.map((target) => target.updateId) },
    });
    const downloaded = await admin.client.updates.list.query({ agentId: agent.agentId });
    expect(downloaded.items.map((item) => item.downloadedAt !== null)).toEqual([true]);
    await agent.client.agent.reportScan.mutate(scanReport([aptItem("zlib", { availableVersion: "9.9-1" })]));
    const newer = await admin.client.updates.list.query({ agentId: agent.agentId });
    expect(newer.items.map((item) => [item.availableVersion, item.downloadedAt])).toEqual([["9.9-1", null]]);

    const other = await agentWithApprovedUpdates(server, admin, ["openssl"]);
    await admin.client.maintenanceWindows.create.mutate({
      ...windowDefaults,
      name: "no pre-download",
      agentIds: [other.agentId],
      preDownloadMinutes: 0,
    });
    await tick("2026-06-03T02:30:00Z");
    expect(await commandsOf(server, [other.agentId])).toEqual([]);
  });

  test("apt, dnf and Docker updates go into the one download; a type that cannot download waits for the window", async () => {
    const admin = await signIn(server, "admin");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.checkIn.mutate(checkIn);
    const oldImage = `sha256:${"1".repeat(64)}`;
    const newImage = `sha256:${"2".repeat(64)}`;
    const now = new Date();
    await agent.client.agent.reportScan.mutate({
      scanners: [
        { packageType: "apt", status: "ok", items: [aptItem("bash")] },
        {
          packageType: "dnf",
          status: "ok",
          items: [
            aptItem("openssl-libs", {
              target: "x86_64",
              currentVersion: "1:3.0.7-1",
              availableVersion: "1:3.0.7-2",
              source: "baseos",
            }),
          ],
        },
        {
          packageType: "docker",
          status: "ok",
          items: [
            aptItem("registry.example/shop/web", {
              target: "1",
              currentVersion: oldImage,
              availableVersion: newImage,
              source: "registry.example",
            }),
          ],
        },
        {
          packageType: "winget",
          status: "ok",
          items: [
            aptItem("7zip.7zip", { currentVersion: "23.01", availableVersion: "24.08", source: "winget" }),
          ],
        },
      ],
      startedAt: now,
      finishedAt: now,
    });
    const pending = await admin.client.updates.list.query({ agentId: agent.agentId });
    expect(pending.items).toHaveLength(4);
    await admin.client.updates.approve.mutate({ updateIds: pending.items.map((item) => item.id) });
    await admin.client.maintenanceWindows.create.mutate({
      ...windowDefaults,
      agentIds: [agent.agentId],
      preDownloadMinutes: 60,
    });

    await tick("2026-06-04T02:30:00Z");
    const queued = await commandsOf(server, [agent.agentId]);
    expect(
      queued.map((command) => [
        command.type,
        command.targets.map((target) => [target.packageType, target.packageName, target.availableVersion]),
      ]),
    ).toEqual([
      [
        "download",
        [
          ["apt", "bash", "1.0-2"],
          ["dnf", "openssl-libs", "1:3.0.7-2"],
          ["docker", "registry.example/shop/web", newImage],
        ],
      ],
    ]);
    const [download] = await takeCommands(agent);
    if (download?.type !== "download") throw new Error("no download leased");
    await agent.client.agent.reportResult.mutate({
      commandId: download.id,
      status: "succeeded",
      exitCode: 0,
      output: "",
      startedAt: new Date(),
      finishedAt: new Date(),
      items: [],
      result: { downloaded: download.targets.map((target) => target.updateId) },
    });
    const { items } = await admin.client.updates.list.query({ agentId: agent.agentId });
    expect(items.map((item) => [item.packageType, item.status, item.downloadedAt !== null]).sort()).toEqual([
      ["apt", "approved", true],
      ["dnf", "approved", true],
      ["docker", "approved", true],
      ["winget", "approved", false],
    ]);

    // The window installs all four, the downloaded ones and the one that could not be.
    await tick("2026-06-04T03:00:30Z");
    const after = await commandsOf(server, [agent.agentId]);
    expect(after.map((command) => [command.type, command.targets.length])).toEqual([
      ["download", 3],
      ["install", 4],
    ]);
  });
});
