import type { AgentId, Virtualization } from "@redflag/contracts";
import { type DatabaseOrTransaction, proxmoxGuests, proxmoxNodes, virtualGuests } from "@redflag/db";
import { eq } from "drizzle-orm";

/**
 * Keeps what a scan report says of virtualization, inside the report's transaction:
 * - a node's inventory replaces the node's guests; a report without one (the node's tools could not
 *   be read this time, or an older agent) keeps the last inventory;
 * - where the agent runs as a guest is replaced by each report; a report without it (a plain host, an
 *   older agent) removes it, so an agent moved off a guest is no longer linked to it.
 */
export async function storeVirtualization(
  tx: DatabaseOrTransaction,
  options: { agentId: AgentId; virtualization: Virtualization | undefined; now: Date },
) {
  const { agentId, now } = options;
  const proxmox = options.virtualization?.proxmox;
  if (proxmox !== undefined) {
    const node = { cluster: proxmox.cluster, node: proxmox.node, version: proxmox.version, reportedAt: now };
    await tx
      .insert(proxmoxNodes)
      .values({ agentId, ...node })
      .onConflictDoUpdate({ target: proxmoxNodes.agentId, set: node });
    await tx.delete(proxmoxGuests).where(eq(proxmoxGuests.nodeAgentId, agentId));
    if (proxmox.guests.length > 0) {
      await tx.insert(proxmoxGuests).values(
        proxmox.guests.map((guest) => ({
          nodeAgentId: agentId,
          vmid: guest.vmid,
          type: guest.type,
          name: guest.name,
          status: guest.status,
          os: guest.os,
          machineId: guest.type === "lxc" ? guest.machineId : null,
          smbiosUuid: guest.type === "qemu" ? guest.smbiosUuid : null,
        })),
      );
    }
  }
  const guest = options.virtualization?.guest;
  if (guest === undefined) {
    await tx.delete(virtualGuests).where(eq(virtualGuests.agentId, agentId));
    return;
  }
  const row = {
    kind: guest.kind,
    technology: guest.technology,
    machineId: guest.machineId,
    productUuid: guest.kind === "vm" ? guest.productUuid : null,
    reportedAt: now,
  };
  await tx
    .insert(virtualGuests)
    .values({ agentId, ...row })
    .onConflictDoUpdate({ target: virtualGuests.agentId, set: row });
}
