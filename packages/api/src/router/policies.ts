import {
  createPolicyInput,
  listPoliciesOutput,
  listRolloutsInput,
  listRolloutsOutput,
  policyIdInput,
  policySchema,
  previewPolicyInput,
  previewPolicyOutput,
  rolloutIdInput,
  rolloutSummarySchema,
  setPolicyEnabledInput,
  updatePolicyInput,
} from "@redflag/contracts";
import { z } from "zod";
import { createPolicy } from "../services/policies/create-policy.ts";
import { decideRollout } from "../services/policies/decide-rollout.ts";
import { deletePolicy } from "../services/policies/delete-policy.ts";
import { policiesJobName } from "../services/policies/jobs.ts";
import { listPolicies } from "../services/policies/list-policies.ts";
import { listRollouts } from "../services/policies/list-rollouts.ts";
import { previewPolicy } from "../services/policies/preview-policy.ts";
import { setPolicyEnabled } from "../services/policies/set-policy-enabled.ts";
import { updatePolicy } from "../services/policies/update-policy.ts";
import { adminProcedure, type Context } from "../trpc.ts";

/** A saved policy acts at once: the policy job is made due now, on whichever instance ticks first. */
async function runSoon<Result>(ctx: Context, result: Result): Promise<Result> {
  await ctx.scheduler.requestRun(policiesJobName);
  return result;
}

/** Policies that approve or hold updates, their preview, and the staged rollouts of approve policies. */
export const policiesRouter = {
  list: adminProcedure("viewer")
    .output(listPoliciesOutput)
    .query(({ ctx }) => listPolicies(ctx.db)),
  preview: adminProcedure("viewer")
    .input(previewPolicyInput)
    .output(previewPolicyOutput)
    .query(({ ctx, input }) => previewPolicy(ctx.db, { policy: input.policy, now: new Date() })),
  create: adminProcedure("admin")
    .input(createPolicyInput)
    .output(policySchema)
    .mutation(async ({ ctx, input }) =>
      runSoon(ctx, await createPolicy(ctx.db, { actor: ctx.actor, ...input })),
    ),
  update: adminProcedure("admin")
    .input(updatePolicyInput)
    .output(policySchema)
    .mutation(async ({ ctx, input }) =>
      runSoon(ctx, await updatePolicy(ctx.db, { actor: ctx.actor, ...input })),
    ),
  setEnabled: adminProcedure("admin")
    .input(setPolicyEnabledInput)
    .output(policySchema)
    .mutation(async ({ ctx, input }) =>
      runSoon(ctx, await setPolicyEnabled(ctx.db, { actor: ctx.actor, ...input })),
    ),
  delete: adminProcedure("admin")
    .input(policyIdInput)
    .output(z.object({ deleted: z.boolean() }))
    .mutation(({ ctx, input }) => deletePolicy(ctx.db, { actor: ctx.actor, ...input })),

  rollouts: adminProcedure("viewer")
    .input(listRolloutsInput)
    .output(listRolloutsOutput)
    .query(({ ctx, input }) => listRollouts(ctx.db, input)),
  resumeRollout: adminProcedure("operator")
    .input(rolloutIdInput)
    .output(rolloutSummarySchema.pick({ id: true, status: true }))
    .mutation(async ({ ctx, input }) =>
      runSoon(ctx, await decideRollout(ctx.db, { actor: ctx.actor, ...input, decision: "resume" })),
    ),
  cancelRollout: adminProcedure("operator")
    .input(rolloutIdInput)
    .output(rolloutSummarySchema.pick({ id: true, status: true }))
    .mutation(({ ctx, input }) => decideRollout(ctx.db, { actor: ctx.actor, ...input, decision: "cancel" })),
};
