import type { ProxmoxGuest, ProxmoxGuestType } from "@redflag/contracts";
import { z } from "zod";

/*
 * Parsers for what `pvesh get … --output-format json`, `pct config` and `qm config` print. The shapes
 * follow the Proxmox VE API schema (https://pve.proxmox.com/pve-docs/api-viewer/, GET /cluster/status,
 * GET /nodes/{node}/lxc, GET /nodes/{node}/qemu): every field but the ids is optional there, and
 * versions differ (`local` is 0/1 or a boolean, `vmid` a number or a string), so each field is read
 * on its own and an entry that cannot be read is left out rather than failing the whole inventory.
 */

const optionalText = z.preprocess(
  (value) => (typeof value === "number" ? String(value) : value),
  z.string().trim().min(1).max(253).optional().catch(undefined),
);
const flag = z.preprocess((value) => value === 1 || value === true || value === "1", z.boolean());

const clusterStatusEntry = z.object({
  type: optionalText,
  name: optionalText,
  local: flag.optional(),
});

export type ClusterStatus = { cluster: string | null; localNode: string | null };

/** GET /cluster/status: the cluster's name (absent on a node outside a cluster) and the local node. */
export function parseClusterStatus(json: string): ClusterStatus {
  const result: ClusterStatus = { cluster: null, localNode: null };
  for (const entry of jsonArray(json)) {
    const parsed = clusterStatusEntry.safeParse(entry);
    if (!parsed.success) continue;
    if (parsed.data.type === "cluster") result.cluster = parsed.data.name ?? null;
    if (parsed.data.type === "node" && parsed.data.local === true)
      result.localNode = parsed.data.name ?? null;
  }
  return result;
}

const guestEntry = z.object({
  vmid: z.coerce.number().int().min(1).max(999_999_999),
  name: optionalText,
  status: optionalText,
});

/** GET /nodes/{node}/lxc or /qemu: one guest per entry; entries without a usable vmid are skipped. */
export function parseGuestList(json: string, type: ProxmoxGuestType): ProxmoxGuest[] {
  const guests = new Map<number, ProxmoxGuest>();
  for (const entry of jsonArray(json)) {
    const parsed = guestEntry.safeParse(entry);
    if (!parsed.success || guests.has(parsed.data.vmid)) continue;
    guests.set(parsed.data.vmid, {
      vmid: parsed.data.vmid,
      type,
      name: parsed.data.name ?? null,
      status: parsed.data.status?.slice(0, 32) ?? null,
      os: null,
      machineId: null,
      smbiosUuid: null,
    });
  }
  return [...guests.values()].sort((left, right) => left.vmid - right.vmid);
}

/** `pct config` / `qm config`: `key: value` lines; the snapshot sections after a `[name]` line are not the current config. */
export function parseGuestConfig(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line.startsWith("[")) break;
    const match = /^([a-z0-9_-]+):\s*(.*)$/i.exec(line.trim());
    if (match?.[1] && fields[match[1]] === undefined) fields[match[1]] = (match[2] ?? "").trim();
  }
  return fields;
}

/** `smbios1: uuid=…,manufacturer=…` (qm config): the uuid, lower-case; null when absent or malformed. */
export function smbiosUuidOf(config: Record<string, string>): string | null {
  for (const part of (config.smbios1 ?? "").split(",")) {
    const [key, value] = part.split("=");
    if (key?.trim() === "uuid" && value !== undefined) return identity(value);
  }
  return null;
}

/** A machine id or UUID as the contract takes it, or null. */
export function identity(text: string): string | null {
  const value = text.trim().toLowerCase();
  return /^[0-9a-f-]{16,64}$/.test(value) ? value : null;
}

/** The OS name from a guest config's `ostype`, bounded. */
export function osOf(config: Record<string, string>): string | null {
  const value = config.ostype?.trim();
  return value ? value.slice(0, 64) : null;
}

function jsonArray(json: string): unknown[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}
