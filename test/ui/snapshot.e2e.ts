/**
 * Snapshot before patch in real Chromium against the production build, on a 390 px phone: the admin
 * saves the setting on the settings page (tags, snapshots kept, behind a confirmation); an install on a
 * tagged LXC (linked to its node by the agent's own detection on the stand-in pct/qm/pvesh) queues the
 * node's snapshot; once the node reports it succeeded, the snapshot command's page offers "Roll back to
 * this snapshot…", which after its confirmation queues a snapshot_rollback for the node. Screenshots,
 * no sideways scroll. Needs `bun run build` and Debian's chromium.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectVirtualization } from "../../agent-bun/src/proxmox/inventory.ts";
import { standInProbes } from "../../agent-bun/test/proxmox/stand-ins.ts";
import type { Page } from "../../apps/web/src/testing/chromium.ts";
import type { NextServer } from "../e2e/next-server.ts";
import { aptItem, hostFacts } from "../harness/fixtures.ts";
import { type ApiClient, apiClient } from "../harness/server.ts";
import { navigate, screenshot, signIn } from "./browser-page.ts";
import { useDashboardSession } from "./dashboard-session.ts";

const admin = { username: "admin", password: "admin password for snapshots" };
const stepTimeout = 180_000;
const checkIn = { agentVersion: "0.1.0", metrics: {}, rebootRequired: false };

let server: NextServer;
let page: Page;
let api: ApiClient;
const pageErrors: string[] = [];
useDashboardSession(
  { prefix: "redflag-snapshot-ui-", admin, width: 390, pageErrors, timeoutMs: stepTimeout },
  (started) => {
    ({ server, page, api } = started);
  },
);

const sandbox = mkdtempSync(join(tmpdir(), "redflag-snapshot-ui-hosts-"));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

async function host(hostname: string, probes: Parameters<typeof standInProbes>[1]) {
  const { token } = await api.registrationTokens.create.mutate({ label: hostname, seats: 1 });
  const registered = await apiClient(server.url).agent.register.mutate({
    registrationToken: token,
    host: hostFacts({ hostname }),
  });
  const client = apiClient(server.url, { token: registered.accessToken });
  const virtualization = await collectVirtualization(standInProbes(join(sandbox, hostname), probes));
  const now = new Date();
  await client.agent.reportScan.mutate({
    scanners: [{ packageType: "apt", status: "ok", items: [aptItem("openssl")] }],
    startedAt: now,
    finishedAt: now,
    ...(virtualization ? { virtualization } : {}),
  });
  return { agentId: registered.agentId, client };
}

describe("snapshot before patch in the dashboard", () => {
  test(
    "the setting saved after its confirmation; a succeeded snapshot rolled back to after its confirmation",
    async () => {
      const node = await host("pve1", { pve: true });
      const web = await host("web-host", {
        env: { DETECT_VIRT: "lxc" },
        machineId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
      });
      await api.agents.configure.mutate({ agentId: web.agentId, tags: ["snap"] });

      await page.goto(`${server.url}/login`);
      await signIn(page, admin);
      await navigate(page, "Settings");
      const card = page.getByRole("form", { name: "Snapshot before patch" });
      await card.getByLabel("Tags (comma separated)").fill("snap, db");
      await card.getByLabel("Snapshots kept per guest").fill("2");
      await card.getByRole("button", { name: "Save snapshot setting" }).click();
      const confirm = page.getByRole("dialog");
      await confirm.getByText(/Guests tagged snap, db are snapshotted/).waitFor();
      await screenshot(page, "phone-snapshot-setting-confirmation");
      // Nothing saved before the confirmation.
      expect((await api.settings.get.query()).snapshotBeforePatch.tags).toEqual([]);
      await confirm.getByRole("button", { name: "Save" }).click();
      await confirm.getByText("Saved.").waitFor();
      await confirm.getByRole("button", { name: "Close" }).click();
      expect((await api.settings.get.query()).snapshotBeforePatch).toEqual({
        tags: ["snap", "db"],
        agentIds: [],
        keep: 2,
      });
      await screenshot(page, "phone-snapshot-setting");

      const { items } = await api.updates.list.query({ agentId: web.agentId });
      const { commandIds } = await api.updates.install.mutate({ updateIds: items.map((item) => item.id) });
      const [snapshot] = (await node.client.agent.checkIn.mutate(checkIn)).commands;
      expect(snapshot?.type).toBe("snapshot");
      if (!snapshot) throw new Error("the node was handed no snapshot");
      expect(snapshot.parameters).toMatchObject({ vmid: 101, snapshotName: `redflag-${commandIds[0]}` });

      // Not offered while the snapshot has not succeeded.
      await page.goto(`${server.url}/commands/${snapshot.id}`);
      await page.getByRole("heading", { level: 1, name: /Snapshot/ }).waitFor();
      expect(await page.getByRole("button", { name: "Roll back to this snapshot…" }).count()).toBe(0);

      await node.client.agent.reportResult.mutate({
        commandId: snapshot.id,
        status: "succeeded",
        exitCode: 0,
        output: "pct snapshot 101: done",
        startedAt: new Date(),
        finishedAt: new Date(),
        items: [],
      });
      await page.reload();
      await page.getByRole("button", { name: "Roll back to this snapshot…" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByText(/Roll container 101 on pve1 back\?/).waitFor();
      await screenshot(page, "phone-snapshot-rollback-confirmation");
      await dialog.getByRole("button", { name: "Roll back" }).click();
      await page.getByRole("heading", { level: 1, name: /Snapshot rollback/ }).waitFor();
      const [rollback] = (await node.client.agent.checkIn.mutate(checkIn)).commands;
      expect(rollback).toMatchObject({
        type: "snapshot_rollback",
        parameters: { vmid: 101, guestType: "lxc", snapshotName: `redflag-${commandIds[0]}` },
      });
      await screenshot(page, "phone-snapshot-rollback-command");
      expect(pageErrors).toEqual([]);
    },
    stepTimeout,
  );
});
