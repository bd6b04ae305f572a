import { z } from "zod";
import { idSchema } from "./ids.ts";
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
  guests: z
    .array(proxmoxGuestSchema)
    .max(maxProxmoxGuests)
    .refine((guests) => new Set(guests.map((guest) => guest.vmid)).size === guests.length, {
      message: "lists a vmid twice",
    }),
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

/** Pending (available or approved) updates and how many of them are security updates. */
export const updateCountsSchema = z.object({ pending: z.number().int(), security: z.number().int() });
export type UpdateCounts = z.infer<typeof updateCountsSchema>;

/** A Docker image update of a host, with the containers that run the image. */
export const treeDockerImageSchema = z.object({
  updateId: idSchema("update"),
  image: z.string(),
  availableVersion: z.string(),
  security: z.boolean(),
  containers: z.array(z.string()),
});

/** An agent in the tree: its own counts (Docker images included) and its Docker image updates. */
export const treeAgentSchema = z.object({
  agentId: idSchema("agent"),
  hostname: z.string(),
  counts: updateCountsSchema,
  docker: z.array(treeDockerImageSchema),
});
export type TreeAgent = z.infer<typeof treeAgentSchema>;

/**
 * How a guest is linked to an agent: `linked` by its identity (an LXC's machine id, a VM's SMBIOS
 * UUID); `no_agent` when no agent reports that identity (or the node could not read it); `ambiguous`
 * when the identity is shared (a cloned container or template), so no agent is linked to it.
 */
export const guestLinkSchema = z.enum(["linked", "no_agent", "ambiguous"]);

export const treeGuestSchema = z.object({
  vmid: z.number().int(),
  type: proxmoxGuestTypeSchema,
  name: z.string().nullable(),
  status: z.string().nullable(),
  os: z.string().nullable(),
  link: guestLinkSchema,
  agent: treeAgentSchema.nullable(),
  /** The guest's agent's counts; zero without one. */
  counts: updateCountsSchema,
});
export type TreeGuest = z.infer<typeof treeGuestSchema>;

export const treeNodeSchema = z.object({
  node: z.string(),
  version: z.string(),
  reportedAt: z.date(),
  agent: treeAgentSchema,
  guests: z.array(treeGuestSchema),
  /** The node's own and all its guests' counts. */
  counts: updateCountsSchema,
});
export type TreeNode = z.infer<typeof treeNodeSchema>;

export const treeClusterSchema = z.object({
  /** null gathers the nodes outside a cluster. */
  name: z.string().nullable(),
  nodes: z.array(treeNodeSchema),
  counts: updateCountsSchema,
});

export const proxmoxTreeOutput = z.object({ clusters: z.array(treeClusterSchema) });
export type ProxmoxTree = z.infer<typeof proxmoxTreeOutput>;

/** A subtree's hosts: the pending updates an install of the subtree would take, for its confirmation. */
export const subtreeUpdatesInput = z.object({
  agentIds: z.array(idSchema("agent")).min(1).max(2_000),
});
/** As many as one install takes (updates.install): a bigger subtree is installed from the updates page. */
export const maxSubtreeUpdates = 1_000;
export const subtreeUpdatesOutput = z.object({
  total: z.number().int(),
  items: z.array(
    z.object({
      id: idSchema("update"),
      agentId: idSchema("agent"),
      hostname: z.string(),
      packageName: z.string(),
    }),
  ),
});

/**
 * A Proxmox snapshot name RedFlag takes before an install: `redflag-` and the install's command id
 * (Proxmox allows letters, digits, `_` and `-`, up to 40 characters, starting with a letter).
 */
export const snapshotNameSchema = z.string().regex(/^redflag-[a-z0-9_]{1,32}$/, {
  message: "must be redflag- and a command id",
});
export const snapshotNamePrefix = "redflag-";

/** A node agent's `snapshot` command: snapshot one guest, then keep the newest `keep` of RedFlag's. */
export const snapshotParametersSchema = z.object({
  vmid: z.number().int().min(1).max(999_999_999),
  guestType: proxmoxGuestTypeSchema,
  snapshotName: snapshotNameSchema,
  keep: z.number().int().min(1).max(50),
});
export type SnapshotParameters = z.infer<typeof snapshotParametersSchema>;

/** A node agent's `snapshot_rollback` command: roll one guest back to one of RedFlag's snapshots. */
export const snapshotRollbackParametersSchema = snapshotParametersSchema.omit({ keep: true });
export type SnapshotRollbackParameters = z.infer<typeof snapshotRollbackParametersSchema>;

/** An agent's tag, as agents.configure takes it. */
const snapshotTagSchema = nameText(64)
  .min(1)
  .regex(/^[a-zA-Z0-9._:-]+$/, { message: "may contain only letters, digits and . _ : -" });

/**
 * Which guests are snapshotted by their node before an install: those with one of `tags` or listed in
 * `agentIds` (a guest whose node runs an agent); the newest `keep` snapshots of each guest are kept.
 */
export const snapshotBeforePatchSchema = z.object({
  tags: z.array(snapshotTagSchema).max(50),
  agentIds: z.array(idSchema("agent")).max(1_000),
  keep: z.number().int().min(1).max(50),
});
export type SnapshotBeforePatch = z.infer<typeof snapshotBeforePatchSchema>;

export const rollbackSnapshotInput = z.object({ snapshotCommandId: idSchema("command") });
