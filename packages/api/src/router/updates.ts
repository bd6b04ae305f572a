import {
  changedCountOutput,
  installUpdatesOutput,
  listUpdatesInput,
  listUpdatesOutput,
  updateIdsInput,
} from "@redflag/contracts";
import { decideUpdates } from "../services/updates/decide-updates.ts";
import { installUpdates } from "../services/updates/install-updates.ts";
import { listUpdates } from "../services/updates/list-updates.ts";
import { adminProcedure } from "../trpc.ts";

/** Each change takes a list of ids: one id or a thousand, in one transaction. */
export const updatesRouter = {
  list: adminProcedure("viewer")
    .input(listUpdatesInput)
    .output(listUpdatesOutput)
    .query(({ ctx, input }) => listUpdates(ctx.db, input)),
  approve: adminProcedure("operator")
    .input(updateIdsInput)
    .output(changedCountOutput)
    .mutation(({ ctx, input }) =>
      decideUpdates(ctx.db, { actor: ctx.actor, ...input, decision: "approved" }),
    ),
  reject: adminProcedure("operator")
    .input(updateIdsInput)
    .output(changedCountOutput)
    .mutation(({ ctx, input }) =>
      decideUpdates(ctx.db, { actor: ctx.actor, ...input, decision: "rejected" }),
    ),
  install: adminProcedure("operator")
    .input(updateIdsInput)
    .output(installUpdatesOutput)
    .mutation(({ ctx, input }) => installUpdates(ctx.db, { actor: ctx.actor, ...input })),
};
