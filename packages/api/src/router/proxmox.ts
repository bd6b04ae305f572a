import {
  idSchema,
  proxmoxTreeOutput,
  rollbackSnapshotInput,
  subtreeUpdatesInput,
  subtreeUpdatesOutput,
} from "@redflag/contracts";
import { z } from "zod";
import { getProxmoxTree } from "../services/proxmox/get-proxmox-tree.ts";
import { listSubtreeUpdates } from "../services/proxmox/list-subtree-updates.ts";
import { rollbackToSnapshot } from "../services/proxmox/snapshot-before-install.ts";
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
  /** Rolls a guest back to the snapshot a succeeded `snapshot` command took (its node's agent runs it). */
  rollbackToSnapshot: adminProcedure("admin")
    .input(rollbackSnapshotInput)
    .output(z.object({ id: idSchema("command") }))
    .mutation(async ({ ctx, input }) => {
      const command = await rollbackToSnapshot(ctx.db, { actor: ctx.actor, ...input });
      return { id: command.id };
    }),
};
