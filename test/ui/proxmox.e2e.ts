/**
 * The Proxmox page in real Chromium against the production build: a node whose inventory the agent's
 * own code read from the stand-in pveversion/pvesh/pct/qm (answers written from Proxmox VE's documented
 * API schema, agent-bun/test/proxmox/fixtures/node/README.md), an LXC whose agent is linked by machine
 * id (with a Docker image under it), a VM linked by SMBIOS uuid, a host named like a container but with
 * another machine id (not linked), guests without an agent; roll-up counts at each level; installing an
 * LXC's subtree through the install dialog (dry run asked first, then confirmed). 1440 and 390 px,
 * screenshots, no sideways scroll. Needs `bun run build` and Debian's chromium.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ScanItem, Virtualization } from "@redflag/contracts";
import { collectVirtualization } from "../../agent-bun/src/proxmox/inventory.ts";
import { standInProbes } from "../../agent-bun/test/proxmox/stand-ins.ts";
import type { Page } from "../../apps/web/src/testing/chromium.ts";
import type { NextServer } from "../e2e/next-server.ts";
import { aptItem, hostFacts } from "../harness/fixtures.ts";
import { type ApiClient, apiClient } from "../harness/server.ts";
import { navigate, screenshot, signIn } from "./browser-page.ts";
import { useDashboardSession } from "./dashboard-session.ts";

const admin = { username: "admin", password: "admin password for the proxmox page" };
const stepTimeout = 180_000;

let server: NextServer;
let page: Page;
let api: ApiClient;
const pageErrors: string[] = [];
useDashboardSession(
  { prefix: "redflag-proxmox-ui-", admin, width: 1440, pageErrors, timeoutMs: stepTimeout },
  (started) => {
    ({ server, page, api } = started);
  },
);

const sandbox = mkdtempSync(join(tmpdir(), "redflag-proxmox-ui-hosts-"));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

/** Registers a host and sends one scan report with what the agent's detection finds in its sandbox. */
async function host(
  hostname: string,
  probes: Parameters<typeof standInProbes>[1],
  items: ScanItem[],
  docker: ScanItem[] = [],
) {
  const { token } = await api.registrationTokens.create.mutate({ label: hostname, seats: 1 });
  const registered = await apiClient(server.url).agent.register.mutate({
    registrationToken: token,
    host: hostFacts({ hostname }),
  });
  const client = apiClient(server.url, { token: registered.accessToken });
  const virtualization: Virtualization | undefined = await collectVirtualization(
    standInProbes(join(sandbox, hostname), probes),
  );
  const now = new Date();
  await client.agent.reportScan.mutate({
    scanners: [
      { packageType: "apt", status: "ok", items },
      ...(docker.length > 0
        ? [{ packageType: "docker" as const, status: "ok" as const, items: docker }]
        : []),
    ],
    startedAt: now,
    finishedAt: now,
    ...(virtualization ? { virtualization } : {}),
  });
  return { agentId: registered.agentId, client };
}

describe("the Proxmox page", () => {
  test(
    "the tree with roll-up counts, guests without an agent, and a subtree installed after its confirmation",
    async () => {
      await host("pve1", { pve: true }, [aptItem("pve-manager", { security: true })]);
      const webHost = await host(
        "web-host",
        { env: { DETECT_VIRT: "lxc" }, machineId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0" },
        [aptItem("openssl", { security: true }), aptItem("curl")],
        [
          aptItem("docker.io/library/nginx:1.27", {
            currentVersion: "sha256:aaaa",
            availableVersion: "sha256:bbbb",
            metadata: { containers: ["proxy", "static"] },
          }),
        ],
      );
      await host(
        "db-host",
        { env: { DETECT_VIRT: "kvm" }, productUuid: "5c0b1b6e-3f2a-4d1e-9a7b-2f4e8c9d1a00" },
        [aptItem("postgresql-15")],
      );
      // Named like container 102, but its machine id is another: never linked by name.
      await host("dns", { env: { DETECT_VIRT: "lxc" }, machineId: "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" }, [
        aptItem("bind9"),
      ]);

      await page.goto(`${server.url}/login`);
      await signIn(page, admin);
      await navigate(page, "Proxmox");
      const cluster = page.getByRole("region", { name: "Cluster homelab" });
      // pve1 1 (1 security) + web-host 3 (1 security) + db-host 1; the unlinked "dns" host is not counted.
      await cluster.getByText("5 pending updates").first().waitFor();
      const node = cluster.getByRole("listitem", { name: "Node pve1" });
      const webItem = node.getByRole("listitem", { name: "LXC 101" });
      await webItem.getByRole("link", { name: /web \(web-host\)/ }).waitFor();
      await webItem.getByText("3 pending updates").waitFor();
      await webItem.getByText("docker.io/library/nginx:1.27").waitFor();
      await webItem.getByText("2 containers: proxy, static").waitFor();
      const dns = node.getByRole("listitem", { name: "LXC 102" });
      await dns.getByText("No agent").waitFor();
      expect(await dns.getByRole("link").count()).toBe(0);
      await node.getByRole("listitem", { name: "LXC 103" }).getByText("No agent").waitFor();
      await node
        .getByRole("listitem", { name: "VM 200" })
        .getByRole("link", { name: /db \(db-host\)/ })
        .waitFor();
      await node.getByRole("listitem", { name: "VM 201" }).getByText("No agent").waitFor();
      await screenshot(page, "proxmox-tree");

      // Installing the LXC's subtree: the dialog names the host and its updates, asks for a dry run first.
      await webItem
        .getByRole("button", { name: /Install the pending updates of LXC 101/ })
        .first()
        .click();
      const dialog = page.getByRole("dialog");
      await dialog.getByText(/Install 3 updates on web-host/).waitFor();
      await dialog.getByText("Waiting for web-host to run the dry run…").waitFor();
      await screenshot(page, "proxmox-install-confirmation");
      const leased = await webHost.client.agent.checkIn.mutate({
        agentVersion: "0.1.0",
        metrics: {},
        rebootRequired: false,
      });
      expect(leased.commands.map((command) => command.type)).toEqual(["dry_run"]);
      await dialog.getByRole("button", { name: "Install without waiting for the preview" }).click();
      await dialog.getByText("Install queued").waitFor();
      await dialog.getByRole("button", { name: "Close" }).click();
      const commands = await api.commands.list.query({ agentId: webHost.agentId, types: ["install"] });
      expect(commands.items.map((command) => command.targetCount)).toEqual([3]);
      const installing = await api.updates.list.query({ agentId: webHost.agentId, statuses: ["installing"] });
      expect(installing.items.map((update) => update.packageName).sort()).toEqual([
        "curl",
        "docker.io/library/nginx:1.27",
        "openssl",
      ]);
      // Installing now, no longer pending: the LXC and the cluster drop their counts.
      await webItem.getByText("0 pending updates").waitFor();
      await cluster.getByText("2 pending updates").first().waitFor();

      await page.setViewportSize({ width: 390, height: 844 });
      await node.getByRole("listitem", { name: "LXC 102" }).getByText("No agent").waitFor();
      await screenshot(page, "phone-proxmox-tree");
      expect(pageErrors).toEqual([]);
    },
    stepTimeout,
  );
});
