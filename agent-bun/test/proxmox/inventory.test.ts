import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { virtualizationSchema } from "@redflag/contracts";
import {
  collectProxmoxNode,
  collectVirtualization,
  detectGuest,
  type VirtualizationProbes,
} from "../../src/proxmox/inventory.ts";
import {
  parseClusterStatus,
  parseGuestConfig,
  parseGuestList,
  smbiosUuidOf,
} from "../../src/proxmox/parse.ts";

const standIns = join(import.meta.dir, "bin");
const nodeFixtures = join(import.meta.dir, "fixtures", "node");

let sandbox: string;
let argvLog: string;

beforeEach(() => {
  sandbox = mkdtempSync(join(tmpdir(), "redflag-proxmox-"));
  argvLog = join(sandbox, "argv.log");
  writeFileSync(argvLog, "");
});
afterEach(() => rmSync(sandbox, { recursive: true, force: true }));

function probes(overrides: { env?: Record<string, string>; pve?: boolean } = {}): VirtualizationProbes {
  const pveDirectory = join(sandbox, "etc-pve");
  if (overrides.pve) mkdirSync(pveDirectory);
  return {
    env: {
      PATH: `${standIns}:/usr/bin:/bin`,
      PROXMOX_ARGV_LOG: argvLog,
      PROXMOX_FIXTURES: nodeFixtures,
      ...overrides.env,
    },
    pveDirectory,
    initEnvironmentFile: join(sandbox, "environ"),
    machineIdFile: join(sandbox, "machine-id"),
    productUuidFile: join(sandbox, "product_uuid"),
    timeoutMs: 30_000,
  };
}

const calls = () => readFileSync(argvLog, "utf8").split("\n").filter(Boolean);

describe("a Proxmox VE node", () => {
  test("reports its cluster, node, version and each LXC and VM with the identity that links its agent", async () => {
    const virtualization = await collectVirtualization(probes({ pve: true }));
    expect(virtualizationSchema.parse(virtualization)).toEqual(virtualization as never);
    expect(virtualization?.guest).toBeUndefined();
    expect(virtualization?.proxmox).toEqual({
      cluster: "homelab",
      node: "pve1",
      version: "pve-manager/8.2.4/faa83925c9641325 (running kernel: 6.8.8-2-pve)",
      guests: [
        {
          vmid: 101,
          type: "lxc",
          name: "web",
          status: "running",
          os: "debian",
          machineId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
          smbiosUuid: null,
        },
        {
          vmid: 102,
          type: "lxc",
          name: "dns",
          status: "running",
          os: "alpine",
          machineId: "1a2b3c4d5e6f70819293a4b5c6d7e8f9",
          smbiosUuid: null,
        },
        {
          vmid: 103,
          type: "lxc",
          name: "old-build",
          status: "stopped",
          os: "debian",
          machineId: null,
          smbiosUuid: null,
        },
        {
          vmid: 200,
          type: "qemu",
          name: "db",
          status: "running",
          os: "l26",
          machineId: null,
          smbiosUuid: "5c0b1b6e-3f2a-4d1e-9a7b-2f4e8c9d1a00",
        },
        {
          vmid: 201,
          type: "qemu",
          name: "win-desktop",
          status: "stopped",
          os: "win11",
          machineId: null,
          smbiosUuid: null,
        },
      ],
    });
    // Argv only, and a stopped container is not entered.
    expect(calls()).toEqual([
      "pveversion ",
      "pvesh get /cluster/status --output-format json",
      "pvesh get /nodes/pve1/lxc --output-format json",
      "pvesh get /nodes/pve1/qemu --output-format json",
      "pct config 101",
      "pct exec 101 -- cat /etc/machine-id",
      "pct config 102",
      "pct exec 102 -- cat /etc/machine-id",
      "pct config 103",
      "qm config 200",
      "qm config 201",
      "systemd-detect-virt ",
    ]);
  });

  test("without /etc/pve nothing Proxmox is run, and a plain host reports nothing", async () => {
    expect(await collectVirtualization(probes())).toBeUndefined();
    expect(calls()).toEqual(["systemd-detect-virt "]);
  });

  test("a node whose pvesh fails sends no inventory (the server keeps the last one) instead of failing the scan", async () => {
    const broken = probes({ pve: true, env: { PROXMOX_FIXTURES: join(sandbox, "empty") } });
    await expect(collectProxmoxNode(broken)).rejects.toThrow(/pveversion|pvesh/);
    expect(await collectVirtualization(broken)).toBeUndefined();
  });
});

describe("parsers tolerate missing and odd fields", () => {
  test("cluster status without a cluster entry (a single node) and with boolean `local`", () => {
    expect(parseClusterStatus('[{"type":"node","name":"solo","local":true}]')).toEqual({
      cluster: null,
      localNode: "solo",
    });
    expect(parseClusterStatus("not json")).toEqual({ cluster: null, localNode: null });
    expect(parseClusterStatus('{"type":"cluster"}')).toEqual({ cluster: null, localNode: null });
  });

  test("guest lists: numeric or string vmid, no name or status, junk entries and duplicates skipped", () => {
    expect(
      parseGuestList(
        '[{"vmid":300},{"vmid":"abc"},{"name":"x"},null,7,{"vmid":300,"name":"dup"},{"vmid":"301","name":42}]',
        "qemu",
      ),
    ).toEqual([
      { vmid: 300, type: "qemu", name: null, status: null, os: null, machineId: null, smbiosUuid: null },
      { vmid: 301, type: "qemu", name: "42", status: null, os: null, machineId: null, smbiosUuid: null },
    ]);
  });

  test("a config's snapshot sections are not the current config; smbios1 without uuid gives none", () => {
    const config = parseGuestConfig("ostype: l26\nsmbios1: manufacturer=QEMU\n\n[snap]\nostype: win11\n");
    expect(config.ostype).toBe("l26");
    expect(smbiosUuidOf(config)).toBeNull();
    expect(smbiosUuidOf({ smbios1: "uuid=not-a-uuid" })).toBeNull();
  });
});

describe("an agent inside a guest", () => {
  test("in an LXC container (systemd-detect-virt says lxc) it reports its machine id", async () => {
    const inside = probes({ env: { DETECT_VIRT: "lxc" } });
    writeFileSync(inside.machineIdFile, "0F1E2D3C4B5A69788796A5B4C3D2E1F0\n");
    expect(await detectGuest(inside)).toEqual({
      kind: "lxc",
      technology: "lxc",
      machineId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
      productUuid: null,
    });
  });

  test("without systemd-detect-virt, PID 1's container=lxc tells it", async () => {
    const inside = probes({ env: { PATH: "/nonexistent" } });
    writeFileSync(inside.initEnvironmentFile, "PATH=/sbin\0container=lxc\0TERM=linux\0");
    writeFileSync(inside.machineIdFile, "1a2b3c4d5e6f70819293a4b5c6d7e8f9\n");
    expect(await detectGuest(inside)).toMatchObject({
      kind: "lxc",
      machineId: "1a2b3c4d5e6f70819293a4b5c6d7e8f9",
    });
  });

  test("in a KVM VM it reports the SMBIOS product UUID", async () => {
    const inside = probes({ env: { DETECT_VIRT: "kvm" } });
    writeFileSync(inside.productUuidFile, "5C0B1B6E-3F2A-4D1E-9A7B-2F4E8C9D1A00\n");
    expect(await detectGuest(inside)).toEqual({
      kind: "vm",
      technology: "kvm",
      machineId: null,
      productUuid: "5c0b1b6e-3f2a-4d1e-9a7b-2f4e8c9d1a00",
    });
  });

  test("in a Docker container or on bare metal it is no Proxmox guest", async () => {
    expect(await detectGuest(probes({ env: { DETECT_VIRT: "docker" } }))).toBeUndefined();
    expect(await detectGuest(probes({ env: { DETECT_VIRT: "none" } }))).toBeUndefined();
  });
});
