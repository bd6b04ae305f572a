import { proxmoxTreeOutput, subtreeUpdatesInput, subtreeUpdatesOutput } from "@redflag/contracts";
import { getProxmoxTree } from "../services/proxmox/get-proxmox-tree.ts";
import { listSubtreeUpdates } from "../services/proxmox/list-subtree-updates.ts";
import { adminProcedure } from "../trpc.ts";

/** The Proxmox hierarchy (cluster → node → LXC/VM → Docker images) and what installing a subtree takes. */
export const proxmoxRouter = {
  tree: adminProcedure("viewer")
    .output(proxmoxTreeOutput)
    .query(({ ctx }) => getProxmoxTree(ctx.db)),
  subtreeUpdates: adminProcedure("viewer")
    .input(subtreeUpdatesInput)
    .output(subtreeUpdatesOutput)
    .query(({ ctx, input }) => listSubtreeUpdates(ctx.db, input)),
};
