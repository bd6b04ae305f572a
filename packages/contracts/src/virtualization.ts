import { z } from "zod";
import { nameText } from "./primitives.ts";

/** A machine id or SMBIOS UUID: hex digits and dashes, compared lower-case. */
const identityText = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[0-9a-f-]{16,64}$/, { message: "must be hex digits (a machine id or SMBIOS UUID)" });

export const proxmoxGuestTypeSchema = z.enum(["lxc", "qemu"]);
export type ProxmoxGuestType = z.infer<typeof proxmoxGuestTypeSchema>;

/** One LXC container or VM of a Proxmox VE node, as the node's agent reads it. */
export const proxmoxGuestSchema = z.object({
  vmid: z.number().int().min(1).max(999_999_999),
  type: proxmoxGuestTypeSchema,
  name: nameText(253).nullable(),
  /** running, stopped, … as `pvesh` gives it; null when it did not say. */
  status: nameText(32).nullable(),
  /** `ostype` of the guest's config (debian, l26, win11, …); null when not set. */
  os: nameText(64).nullable(),
  /** An LXC's /etc/machine-id read inside it (`pct exec`); null when stopped or unreadable. */
  machineId: identityText.nullable(),
  /** A VM's SMBIOS UUID (`qm config` smbios1 uuid=…); null when not set. */
  smbiosUuid: identityText.nullable(),
});
export type ProxmoxGuest = z.infer<typeof proxmoxGuestSchema>;

export const maxProxmoxGuests = 2_000;

export const proxmoxNodeSchema = z.object({
  /** The cluster's name; null for a node outside a cluster. */
  cluster: nameText(253).nullable(),
  node: nameText(253).min(1),
  /** `pveversion`'s line, e.g. pve-manager/8.2.4/faa83925c9641325. */
  version: nameText(256),
  guests: z.array(proxmoxGuestSchema).max(maxProxmoxGuests),
});
export type ProxmoxNode = z.infer<typeof proxmoxNodeSchema>;

/** What an agent inside an LXC container or a VM knows about that (systemd-detect-virt, /proc/1/environ). */
export const virtualGuestSchema = z.object({
  kind: z.enum(["lxc", "vm"]),
  /** systemd-detect-virt's word (lxc, kvm, qemu, …), or "lxc" from /proc/1/environ. */
  technology: nameText(32).min(1),
  machineId: identityText.nullable(),
  /** /sys/class/dmi/id/product_uuid inside a VM; null in a container or when unreadable. */
  productUuid: identityText.nullable(),
});
export type VirtualGuest = z.infer<typeof virtualGuestSchema>;

/** Sent with a scan report by agents that know of it; absent from older agents and plain hosts. */
export const virtualizationSchema = z.object({
  proxmox: proxmoxNodeSchema.optional(),
  guest: virtualGuestSchema.optional(),
});
export type Virtualization = z.infer<typeof virtualizationSchema>;
