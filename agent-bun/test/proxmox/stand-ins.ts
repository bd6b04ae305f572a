import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { VirtualizationProbes } from "../../src/proxmox/inventory.ts";

/** The stand-in pveversion, pvesh, pct, qm and systemd-detect-virt (bin/), answering from fixtures/node/. */
export const standInDirectory = join(import.meta.dir, "bin");
export const nodeFixtures = join(import.meta.dir, "fixtures", "node");

/**
 * Probes for a host sandboxed in `sandbox`: the stand-ins first on PATH, recording their argv to
 * `sandbox/argv.log` and keeping guests' snapshots in `sandbox`; `pve` makes it a Proxmox VE node (an /etc/pve of its own); `machineId` and
 * `productUuid` are what the host's /etc/machine-id and DMI product_uuid hold.
 */
export function standInProbes(
  sandbox: string,
  options: {
    env?: Record<string, string>;
    pve?: boolean;
    machineId?: string;
    productUuid?: string;
  } = {},
): VirtualizationProbes {
  mkdirSync(sandbox, { recursive: true });
  const pveDirectory = join(sandbox, "etc-pve");
  if (options.pve) mkdirSync(pveDirectory, { recursive: true });
  const probes: VirtualizationProbes = {
    env: {
      PATH: `${standInDirectory}:/usr/bin:/bin`,
      PROXMOX_ARGV_LOG: join(sandbox, "argv.log"),
      PROXMOX_FIXTURES: nodeFixtures,
      // The stand-in pct and qm keep each guest's snapshots here (../snapshot-stand-in.sh).
      PROXMOX_SNAPSHOT_STATE: sandbox,
      ...options.env,
    },
    pveDirectory,
    initEnvironmentFile: join(sandbox, "environ"),
    machineIdFile: join(sandbox, "machine-id"),
    productUuidFile: join(sandbox, "product_uuid"),
    timeoutMs: 30_000,
  };
  if (options.machineId !== undefined) writeFileSync(probes.machineIdFile, `${options.machineId}\n`);
  if (options.productUuid !== undefined) writeFileSync(probes.productUuidFile, `${options.productUuid}\n`);
  return probes;
}

/** The argv each stand-in recorded, one line per call. */
export function recordedCalls(sandbox: string): string[] {
  try {
    return readFileSync(join(sandbox, "argv.log"), "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}
