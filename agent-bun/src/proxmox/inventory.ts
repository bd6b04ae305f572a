import { existsSync } from "node:fs";
import os from "node:os";
import {
  maxProxmoxGuests,
  type ProxmoxGuest,
  type ProxmoxNode,
  toPrintableText,
  type VirtualGuest,
  type Virtualization,
} from "@redflag/contracts";
import { readFileIfExists } from "../config/files.ts";
import { AgentError } from "../errors.ts";
import { type RunResult, runProgram } from "../host/run.ts";
import {
  identity,
  osOf,
  parseClusterStatus,
  parseGuestConfig,
  parseGuestList,
  smbiosUuidOf,
} from "./parse.ts";

/** Where the probes look; tests point them at a sandbox. */
export type VirtualizationProbes = {
  /** The child processes' environment (PATH finds pveversion, pvesh, pct, qm, systemd-detect-virt). */
  env: Record<string, string | undefined>;
  /** Present on a Proxmox VE node (the cluster file system). */
  pveDirectory: string;
  /** PID 1's environment: `container=lxc` inside an LXC container. */
  initEnvironmentFile: string;
  machineIdFile: string;
  /** The SMBIOS UUID inside a VM (readable by root). */
  productUuidFile: string;
  /** Each tool's time limit. */
  timeoutMs: number;
};

export const defaultProbes = (env: Record<string, string | undefined>): VirtualizationProbes => ({
  env,
  pveDirectory: "/etc/pve",
  initEnvironmentFile: "/proc/1/environ",
  machineIdFile: "/etc/machine-id",
  productUuidFile: "/sys/class/dmi/id/product_uuid",
  timeoutMs: 30_000,
});

/**
 * What this host knows of virtualization, sent with each scan report: the node's inventory on a
 * Proxmox VE node, where it runs as a guest otherwise, nothing on a plain host (or off Linux).
 * A node's inventory that cannot be read is an error the report carries as absent, never a failed scan.
 */
export async function collectVirtualization(
  probes: VirtualizationProbes,
): Promise<Virtualization | undefined> {
  if (process.platform !== "linux") return undefined;
  const result: Virtualization = {};
  if (existsSync(probes.pveDirectory)) {
    try {
      result.proxmox = await collectProxmoxNode(probes);
    } catch {
      // Absent from this report: the server keeps the node's last inventory until one is read.
    }
  }
  const guest = await detectGuest(probes);
  if (guest !== undefined) result.guest = guest;
  return result.proxmox === undefined && result.guest === undefined ? undefined : result;
}

/** A Proxmox VE node's cluster, name, version and guests (each guest's machine id or SMBIOS UUID). */
export async function collectProxmoxNode(probes: VirtualizationProbes): Promise<ProxmoxNode> {
  const version = firstLine((await run(["pveversion"], probes)).stdout);
  const status = parseClusterStatus((await run(["pvesh", "get", "/cluster/status", ...json], probes)).stdout);
  const node = status.localNode ?? os.hostname();
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(node)) {
    throw new AgentError(`the node name ${JSON.stringify(node)} is not a host name`, {
      source: "process",
      kind: "invalid_input",
      operation: "pvesh get /cluster/status",
    });
  }
  const guests: ProxmoxGuest[] = [];
  for (const type of ["lxc", "qemu"] as const) {
    const listed = await run(["pvesh", "get", `/nodes/${node}/${type}`, ...json], probes);
    guests.push(...parseGuestList(listed.stdout, type));
  }
  const kept = guests.slice(0, maxProxmoxGuests);
  for (const guest of kept) await readGuestIdentity(guest, probes);
  return { cluster: status.cluster, node, version, guests: kept };
}

const json = ["--output-format", "json"];

/**
 * An LXC's machine id is read inside the running container (`pct exec <vmid> -- cat /etc/machine-id`):
 * the container's own view, with its mounts, and nothing mounted or changed on a stopped one. A VM's
 * identity is the SMBIOS UUID of its config, which the guest reads as its product_uuid.
 */
async function readGuestIdentity(guest: ProxmoxGuest, probes: VirtualizationProbes) {
  const tool = guest.type === "lxc" ? "pct" : "qm";
  const config = parseGuestConfig(
    (await runTolerant([tool, "config", String(guest.vmid)], probes))?.stdout ?? "",
  );
  guest.os = osOf(config);
  if (guest.type === "qemu") {
    guest.smbiosUuid = smbiosUuidOf(config);
  } else if (guest.status === "running") {
    const read = await runTolerant(
      ["pct", "exec", String(guest.vmid), "--", "cat", "/etc/machine-id"],
      probes,
    );
    guest.machineId = read === null ? null : identity(firstLine(read.stdout));
  }
}

/** Inside an LXC container or a VM: systemd-detect-virt, else PID 1's `container=` variable. */
export async function detectGuest(probes: VirtualizationProbes): Promise<VirtualGuest | undefined> {
  let technology: string | null = null;
  let kind: VirtualGuest["kind"] | null = null;
  const detected = await runTolerant(["systemd-detect-virt"], probes, { anyExitCode: true });
  const word = detected === null ? "" : firstLine(detected.stdout).toLowerCase();
  if (/^[a-z0-9_-]{1,32}$/.test(word) && word !== "none") {
    technology = word;
    kind = containerTechnologies.has(word) ? "lxc" : "vm";
  }
  if (kind === null) {
    const environ = safeRead(probes.initEnvironmentFile);
    if (environ.split("\0").includes("container=lxc")) {
      technology = "lxc";
      kind = "lxc";
    }
  }
  // Only LXC containers and VMs are linked to a Proxmox node; other containers (docker, podman) are not guests of one.
  if (kind === null || technology === null || (kind === "lxc" && technology !== "lxc")) return undefined;
  return {
    kind,
    technology,
    machineId: identity(safeRead(probes.machineIdFile)),
    productUuid: kind === "vm" ? identity(safeRead(probes.productUuidFile)) : null,
  };
}

/** systemd-detect-virt's container words (`systemd-detect-virt --list`). */
const containerTechnologies = new Set([
  "lxc",
  "lxc-libvirt",
  "openvz",
  "docker",
  "podman",
  "rkt",
  "wsl",
  "proot",
  "pouch",
  "systemd-nspawn",
]);

async function run(argv: string[], probes: VirtualizationProbes): Promise<RunResult> {
  const result = await runProgram(argv, {
    source: "process",
    env: probes.env,
    timeoutMs: probes.timeoutMs,
    maxOutputBytes: 4 * 1024 * 1024,
  });
  const operation = argv.slice(0, 3).join(" ");
  if (result.timedOut || result.exitCode !== 0) {
    throw new AgentError(
      result.timedOut
        ? "did not finish in time and was stopped"
        : `exited with ${result.exitCode}: ${toPrintableText(result.stderr, 500).trim()}`,
      { source: "process", kind: result.timedOut ? "timed_out" : "failed", operation },
    );
  }
  return result;
}

/** For per-guest reads: a guest whose config or machine id cannot be read stays in the inventory without it. */
async function runTolerant(
  argv: string[],
  probes: VirtualizationProbes,
  options: { anyExitCode?: boolean } = {},
): Promise<RunResult | null> {
  try {
    const result = await runProgram(argv, {
      source: "process",
      env: probes.env,
      timeoutMs: probes.timeoutMs,
      maxOutputBytes: 1024 * 1024,
    });
    if (result.timedOut || (!options.anyExitCode && result.exitCode !== 0)) return null;
    return result;
  } catch {
    return null;
  }
}

function safeRead(path: string): string {
  try {
    return readFileIfExists(path) ?? "";
  } catch {
    return "";
  }
}

function firstLine(text: string): string {
  return toPrintableText(text.split("\n")[0] ?? "", 256).trim();
}
