import {
  changedCountOutput,
  changeMatchingUpdatesInput,
  installMatchingUpdatesOutput,
  installUpdatesOutput,
  listUpdatesInput,
  listUpdatesOutput,
  matchingUpdatesInput,
  matchingUpdatesOutput,
  updateIdsInput,
} from "@redflag/contracts";
import { decideUpdates } from "../services/updates/decide-updates.ts";
import { installUpdates } from "../services/updates/install-updates.ts";
import { listUpdates } from "../services/updates/list-updates.ts";
import { listMatchingUpdates } from "../services/updates/select-matching-updates.ts";
import { adminProcedure } from "../trpc.ts";

/**
 * Each change takes a list of ids (one or a thousand), or — the `…Matching` ones — the list's filter and
 * the count the admin saw; either way in one transaction, all or nothing.
 */
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

  matching: adminProcedure("viewer")
    .input(matchingUpdatesInput)
    .output(matchingUpdatesOutput)
    .query(({ ctx, input }) => listMatchingUpdates(ctx.db, input)),
  approveMatching: adminProcedure("operator")
    .input(changeMatchingUpdatesInput)
    .output(changedCountOutput)
    .mutation(({ ctx, input }) =>
      decideUpdates(ctx.db, { actor: ctx.actor, ...input, decision: "approved" }),
    ),
  rejectMatching: adminProcedure("operator")
    .input(changeMatchingUpdatesInput)
    .output(changedCountOutput)
    .mutation(({ ctx, input }) =>
      decideUpdates(ctx.db, { actor: ctx.actor, ...input, decision: "rejected" }),
    ),
  installMatching: adminProcedure("operator")
    .input(changeMatchingUpdatesInput)
    .output(installMatchingUpdatesOutput)
    .mutation(({ ctx, input }) => installUpdates(ctx.db, { actor: ctx.actor, ...input })),
};
