import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProxmoxTree, ScanItem, Virtualization } from "@redflag/contracts";
import { agents } from "@redflag/db";
import { collectVirtualization } from "../agent-bun/src/proxmox/inventory.ts";
import { recordedCalls, standInProbes } from "../agent-bun/test/proxmox/stand-ins.ts";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { errorCodeOf, type TestServer, useTestServer } from "./harness/server.ts";

/*
 * The node's inventory is read by the agent's own code from the stand-in pveversion/pvesh/pct/qm
 * (agent-bun/test/proxmox/bin), whose answers are written from Proxmox VE's documented API schema and
 * config formats (agent-bun/test/proxmox/fixtures/node/README.md), and sent with a scan report.
 * Container 101 ("web") has machine id 0f1e…, 102 ("dns") 1a2b…, 103 is stopped; VM 200 ("db") has
 * SMBIOS uuid 5c0b…, VM 201 none.
 */
const webMachineId = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const dnsMachineId = "1a2b3c4d5e6f70819293a4b5c6d7e8f9";
const dbProductUuid = "5C0B1B6E-3F2A-4D1E-9A7B-2F4E8C9D1A00";

let server: TestServer;
useTestServer((started) => {
  server = started;
});

let sandbox: string;
beforeEach(async () => {
  sandbox = mkdtempSync(join(tmpdir(), "redflag-proxmox-server-"));
  // Each test's fleet on its own: the same node and guest identities come back in every test.
  await server.api.db.delete(agents);
});
afterEach(() => rmSync(sandbox, { recursive: true, force: true }));

type Agent = Awaited<ReturnType<typeof registerAgent>>;

/** What the agent's detection reports on a host sandboxed under `name`. */
async function detect(name: string, options: Parameters<typeof standInProbes>[1]) {
  return collectVirtualization(standInProbes(join(sandbox, name), options));
}

/** A scan report of apt items and Docker image items (`docker:` names), with what detection found. */
async function report(agent: Agent, items: ScanItem[], virtualization: Virtualization | undefined) {
  const now = new Date();
  const docker = items.filter((item) => item.packageName.startsWith("docker.io/"));
  return agent.client.agent.reportScan.mutate({
    scanners: [
      ...scanReport(items.filter((item) => !docker.includes(item))).scanners,
      ...(docker.length > 0 ? scanReport(docker, "docker").scanners : []),
    ],
    startedAt: now,
    finishedAt: now,
    ...(virtualization ? { virtualization } : {}),
  });
}

function dockerItem(image: string, containers: string[], security = false): ScanItem {
  return aptItem(image, {
    currentVersion: "sha256:aaaa",
    availableVersion: "sha256:bbbb",
    security,
    source: "docker.io",
    metadata: { containers },
  });
}

/** The fleet of one test: a node (its inventory from the stand-ins) and an admin. */
async function setUpNode() {
  const admin = await signIn(server, "operator");
  const node = await registerAgent(server, admin, { hostname: "pve1" });
  const inventory = await detect("pve1", { pve: true });
  expect(inventory?.proxmox?.guests.map((guest) => guest.vmid)).toEqual([101, 102, 103, 200, 201]);
  await report(node, [aptItem("pve-manager", { security: true })], inventory);
  return { admin, node, inventory };
}

async function guestAgent(
  admin: Awaited<ReturnType<typeof signIn>>,
  hostname: string,
  options: Parameters<typeof standInProbes>[1],
  items: ScanItem[],
) {
  const agent = await registerAgent(server, admin, { hostname });
  await report(agent, items, await detect(`${hostname}-${agent.agentId}`, options));
  return agent;
}

const tree = (admin: Awaited<ReturnType<typeof signIn>>) => admin.client.proxmox.tree.query();

function guestsOf(result: ProxmoxTree) {
  return (result.clusters[0]?.nodes[0]?.guests ?? []).map((guest) => ({
    vmid: guest.vmid,
    link: guest.link,
    hostname: guest.agent?.hostname ?? null,
  }));
}

describe("the Proxmox hierarchy", () => {
  test("a node's inventory from the stand-ins is stored: cluster, node, each guest without an agent yet", async () => {
    const { admin } = await setUpNode();
    expect(recordedCalls(join(sandbox, "pve1"))).toContain("pct exec 101 -- cat /etc/machine-id");
    const result = await tree(admin);
    expect(result.clusters.map((cluster) => cluster.name)).toEqual(["homelab"]);
    const [node] = result.clusters[0]?.nodes ?? [];
    expect(node).toMatchObject({
      node: "pve1",
      agent: { hostname: "pve1", counts: { pending: 1, security: 1 } },
    });
    expect(node?.version).toStartWith("pve-manager/8.2.4");
    expect(node?.guests.map((guest) => [guest.vmid, guest.type, guest.name, guest.status, guest.os])).toEqual(
      [
        [101, "lxc", "web", "running", "debian"],
        [102, "lxc", "dns", "running", "alpine"],
        [103, "lxc", "old-build", "stopped", "debian"],
        [200, "qemu", "db", "running", "l26"],
        [201, "qemu", "win-desktop", "stopped", "win11"],
      ],
    );
    expect(guestsOf(result).every((guest) => guest.link === "no_agent" && guest.hostname === null)).toBe(
      true,
    );
  });

  test("an LXC's agent is linked by the machine id its node read inside it, a VM's by its SMBIOS uuid; counts roll up", async () => {
    const { admin } = await setUpNode();
    await guestAgent(admin, "web-host", { env: { DETECT_VIRT: "lxc" }, machineId: webMachineId }, [
      aptItem("openssl", { security: true }),
      aptItem("curl"),
      dockerItem("docker.io/library/nginx:1.27", ["proxy", "static"], true),
    ]);
    await guestAgent(admin, "db-host", { env: { DETECT_VIRT: "kvm" }, productUuid: dbProductUuid }, [
      aptItem("postgresql-15"),
    ]);
    const result = await tree(admin);
    expect(guestsOf(result)).toEqual([
      { vmid: 101, link: "linked", hostname: "web-host" },
      { vmid: 102, link: "no_agent", hostname: null },
      { vmid: 103, link: "no_agent", hostname: null },
      { vmid: 200, link: "linked", hostname: "db-host" },
      { vmid: 201, link: "no_agent", hostname: null },
    ]);
    const node = result.clusters[0]?.nodes[0];
    const web = node?.guests.find((guest) => guest.vmid === 101);
    expect(web?.counts).toEqual({ pending: 3, security: 2 });
    expect(web?.agent?.docker).toMatchObject([
      { image: "docker.io/library/nginx:1.27", containers: ["proxy", "static"], security: true },
    ]);
    // node 1 (1 security) + web 3 (2 security) + db 1
    expect(node?.counts).toEqual({ pending: 5, security: 3 });
    expect(result.clusters[0]?.counts).toEqual({ pending: 5, security: 3 });
  });

  test("never by name: a wrong machine id, the container's own hostname with another machine id, or none links nothing", async () => {
    const { admin } = await setUpNode();
    await guestAgent(
      admin,
      "stranger",
      { env: { DETECT_VIRT: "lxc" }, machineId: "ffffffffffffffffffffffffffffffff" },
      [aptItem("curl")],
    );
    // Named exactly like container 102 ("dns"), but another machine id.
    await guestAgent(
      admin,
      "dns",
      { env: { DETECT_VIRT: "lxc" }, machineId: "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" },
      [aptItem("curl")],
    );
    // An LXC whose machine id cannot be read reports none.
    await guestAgent(admin, "build", { env: { DETECT_VIRT: "lxc" } }, [aptItem("curl")]);
    // A plain host with 102's machine id is not a guest: it did not say it runs in an LXC.
    await guestAgent(admin, "bare", { env: { DETECT_VIRT: "none" }, machineId: dnsMachineId }, [
      aptItem("curl"),
    ]);
    // A VM agent with an LXC's machine id in its own /etc/machine-id but no matching SMBIOS uuid.
    await guestAgent(
      admin,
      "vm-other",
      {
        env: { DETECT_VIRT: "kvm" },
        machineId: webMachineId,
        productUuid: "11111111-2222-3333-4444-555555555555",
      },
      [aptItem("curl")],
    );
    const result = await tree(admin);
    expect(guestsOf(result).map((guest) => guest.link)).toEqual([
      "no_agent",
      "no_agent",
      "no_agent",
      "no_agent",
      "no_agent",
    ]);
    expect(result.clusters[0]?.counts).toEqual({ pending: 1, security: 1 });
  });

  test("a machine id two agents report (a cloned container) links neither; the link goes when the agent stops saying it is a guest", async () => {
    const { admin } = await setUpNode();
    const first = await guestAgent(admin, "web-a", { env: { DETECT_VIRT: "lxc" }, machineId: webMachineId }, [
      aptItem("curl"),
    ]);
    const second = await guestAgent(
      admin,
      "web-b",
      { env: { DETECT_VIRT: "lxc" }, machineId: webMachineId },
      [aptItem("curl")],
    );
    expect(guestsOf(await tree(admin))[0]).toEqual({ vmid: 101, link: "ambiguous", hostname: null });
    // The clone's agent now runs on a plain host: it reports no virtualization.
    await report(second, [aptItem("curl")], undefined);
    expect(guestsOf(await tree(admin))[0]).toEqual({ vmid: 101, link: "linked", hostname: "web-a" });
    expect(first.agentId).not.toBe(second.agentId);
  });

  test("a node whose next inventory cannot be read keeps its last one; a new inventory replaces the guests", async () => {
    const { admin, node, inventory } = await setUpNode();
    await report(node, [aptItem("pve-manager")], undefined);
    expect(guestsOf(await tree(admin))).toHaveLength(5);
    const proxmox = inventory?.proxmox;
    if (!proxmox) throw new Error("no inventory");
    await report(node, [aptItem("pve-manager")], {
      proxmox: { ...proxmox, guests: proxmox.guests.filter((guest) => guest.vmid !== 103) },
    });
    expect(guestsOf(await tree(admin)).map((guest) => guest.vmid)).toEqual([101, 102, 200, 201]);
  });

  test("an inventory listing one vmid twice is refused", async () => {
    const { node, inventory } = await setUpNode();
    const proxmox = inventory?.proxmox;
    if (!proxmox?.guests[0]) throw new Error("no inventory");
    const twice = { proxmox: { ...proxmox, guests: [...proxmox.guests, proxmox.guests[0]] } };
    expect(await errorCodeOf(report(node, [aptItem("curl")], twice))).toBe("BAD_REQUEST");
  });

  test("a subtree's pending updates are named for its confirmation and installed through updates.install", async () => {
    const { admin, node } = await setUpNode();
    const web = await guestAgent(
      admin,
      "web-host",
      { env: { DETECT_VIRT: "lxc" }, machineId: webMachineId },
      [aptItem("openssl", { security: true }), aptItem("curl")],
    );
    const subtree = await admin.client.proxmox.subtreeUpdates.query({
      agentIds: [node.agentId, web.agentId],
    });
    expect(subtree.total).toBe(3);
    expect(subtree.items.map((item) => [item.hostname, item.packageName])).toEqual([
      ["pve1", "pve-manager"],
      ["web-host", "curl"],
      ["web-host", "openssl"],
    ]);
    const installed = await admin.client.updates.install.mutate({
      updateIds: subtree.items.map((item) => item.id),
    });
    expect(installed.commandIds).toHaveLength(2);
    // Installing, no longer pending: the tree's counts drop to nothing.
    expect((await tree(admin)).clusters[0]?.counts).toEqual({ pending: 0, security: 0 });
  });

  test("a viewer reads the tree", async () => {
    await setUpNode();
    const viewer = await signIn(server, "viewer");
    expect((await viewer.client.proxmox.tree.query()).clusters).toHaveLength(1);
  });
});
