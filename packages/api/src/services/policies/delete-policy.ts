import type { PolicyId } from "@redflag/contracts";
import { type DatabaseOrTransaction, policies } from "@redflag/db";
import { eq } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { notFound } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { releasePolicyHolds } from "./release-policy-holds.ts";

/**
 * Deletes a policy and its rollouts. What it approved stays approved (an admin may reject it); what it
 * held is set free, each with an audit event.
 */
export async function deletePolicy(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; policyId: PolicyId },
) {
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(policies).where(eq(policies.id, options.policyId)).for("update");
    if (!before) throw notFound("Policy", options.policyId);
    await releasePolicyHolds(tx, {
      policyId: before.id,
      actor: options.actor,
      reason: "the policy was deleted",
    });
    await tx.delete(policies).where(eq(policies.id, before.id));
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [{ action: "policy.deleted", entityType: "policy", entityId: before.id, before }],
    });
    return { deleted: true };
  });
}
