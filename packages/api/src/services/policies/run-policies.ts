import { type DatabaseOrTransaction, policies } from "@redflag/db";
import { and, asc, eq, inArray } from "drizzle-orm";
import { applyHoldPolicies } from "./apply-hold-policies.ts";
import { approveByPolicy } from "./approve-by-policy.ts";
import { runRollouts } from "./run-rollouts.ts";

/**
 * One run of every policy: holds first (so nothing about to be held is approved), then each approve
 * policy in its own transaction. A policy that fails does not stop the others; the run then fails
 * naming it, and the scheduler keeps the error.
 */
export async function runPolicies(db: DatabaseOrTransaction, options: { now: Date }) {
  const enabled = await db
    .select()
    .from(policies)
    .where(eq(policies.enabled, true))
    .orderBy(asc(policies.createdAt), asc(policies.id));
  const holdPolicies = enabled.filter((policy) => policy.action === "hold");
  const holds = await applyHoldPolicies(db, { holdPolicies, now: options.now });
  const failures: { policyId: string; name: string; error: unknown }[] = [];
  let approved = 0;
  for (const policy of enabled.filter((candidate) => candidate.action === "approve")) {
    try {
      const result =
        policy.stages.length > 0
          ? await runRollouts(db, { policy, now: options.now, holdPolicies })
          : await approveByPolicy(db, { policy, now: options.now, holdPolicies });
      approved += result.approved;
    } catch (error) {
      failures.push({ policyId: policy.id, name: policy.name, error });
    }
  }
  const ran = enabled
    .map((policy) => policy.id)
    .filter((id) => !failures.some((failure) => failure.policyId === id));
  if (ran.length > 0) {
    await db
      .update(policies)
      .set({ lastRunAt: options.now })
      .where(and(inArray(policies.id, ran), eq(policies.enabled, true)));
  }
  if (failures.length > 0) {
    throw new Error(`Policies failed: ${failures.map((failure) => failure.name).join(", ")}`, {
      cause: failures[0]?.error,
    });
  }
  return { ...holds, approved };
}
