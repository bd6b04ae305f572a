import type { AgentId, CommandId, ProxmoxGuestType, VirtualGuest } from "@redflag/contracts";
import { index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { agents } from "./agents.ts";
import { commands } from "./commands.ts";

/** A Proxmox VE node, as its agent last reported it with a scan (one row per node agent). */
export const proxmoxNodes = pgTable("proxmox_nodes", {
  agentId: text("agent_id")
    .$type<AgentId>()
    .primaryKey()
    .references(() => agents.id, { onDelete: "cascade" }),
  /** null for a node outside a cluster. */
  cluster: text("cluster"),
  node: text("node").notNull(),
  version: text("version").notNull(),
  reportedAt: timestamp("reported_at", { withTimezone: true, mode: "date" }).notNull(),
});

/**
 * The LXC containers and VMs of a node, replaced by each inventory the node's agent sends. The identity
 * columns are what a guest's own agent reports (virtual_guests): an LXC's /etc/machine-id read inside
 * it by the node, a VM's SMBIOS UUID from its config.
 */
export const proxmoxGuests = pgTable(
  "proxmox_guests",
  {
    nodeAgentId: text("node_agent_id")
      .$type<AgentId>()
      .notNull()
      .references(() => proxmoxNodes.agentId, { onDelete: "cascade" }),
    vmid: integer("vmid").notNull(),
    type: text("type").$type<ProxmoxGuestType>().notNull(),
    name: text("name"),
    status: text("status"),
    os: text("os"),
    machineId: text("machine_id"),
    smbiosUuid: text("smbios_uuid"),
  },
  (table) => [
    primaryKey({ columns: [table.nodeAgentId, table.vmid] }),
    index("proxmox_guests_machine_id_idx").on(table.machineId),
    index("proxmox_guests_smbios_uuid_idx").on(table.smbiosUuid),
  ],
);

/** Where an agent runs inside an LXC container or a VM, with the identity its node reads of it. */
export const virtualGuests = pgTable(
  "virtual_guests",
  {
    agentId: text("agent_id")
      .$type<AgentId>()
      .primaryKey()
      .references(() => agents.id, { onDelete: "cascade" }),
    kind: text("kind").$type<VirtualGuest["kind"]>().notNull(),
    technology: text("technology").notNull(),
    machineId: text("machine_id"),
    productUuid: text("product_uuid"),
    reportedAt: timestamp("reported_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (table) => [
    index("virtual_guests_machine_id_idx").on(table.machineId),
    index("virtual_guests_product_uuid_idx").on(table.productUuid),
  ],
);

/**
 * An install held back until its guest's node has snapshotted the guest: the install is not leased
 * while its snapshot command has not succeeded, and fails when the snapshot does
 * (services/proxmox/snapshot-before-install.ts).
 */
export const snapshotGates = pgTable(
  "snapshot_gates",
  {
    installCommandId: text("install_command_id")
      .$type<CommandId>()
      .primaryKey()
      .references(() => commands.id, { onDelete: "cascade" }),
    snapshotCommandId: text("snapshot_command_id")
      .$type<CommandId>()
      .notNull()
      .references(() => commands.id, { onDelete: "cascade" }),
  },
  (table) => [index("snapshot_gates_snapshot_idx").on(table.snapshotCommandId)],
);
