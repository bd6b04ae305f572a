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
    .meta({ openapi: { method: "GET", path: "/updates", tags: ["updates"], summary: "List updates" } })
    .input(listUpdatesInput)
    .output(listUpdatesOutput)
    .query(({ ctx, input }) => listUpdates(ctx.db, input)),
  approve: adminProcedure("operator")
    .meta({
      openapi: {
        method: "POST",
        path: "/updates/approve",
        tags: ["updates"],
        summary: "Approve updates by id",
      },
    })
    .input(updateIdsInput)
    .output(changedCountOutput)
    .mutation(({ ctx, input }) =>
      decideUpdates(ctx.db, { actor: ctx.actor, ...input, decision: "approved" }),
    ),
  reject: adminProcedure("operator")
    .meta({
      openapi: {
        method: "POST",
        path: "/updates/reject",
        tags: ["updates"],
        summary: "Reject updates by id",
      },
    })
    .input(updateIdsInput)
    .output(changedCountOutput)
    .mutation(({ ctx, input }) =>
      decideUpdates(ctx.db, { actor: ctx.actor, ...input, decision: "rejected" }),
    ),
  install: adminProcedure("operator")
    .meta({
      openapi: {
        method: "POST",
        path: "/updates/install",
        tags: ["updates"],
        summary: "Install updates by id (one command per agent)",
      },
    })
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
