import type { PolicyDraft, PolicyId } from "@redflag/contracts";
import { type DatabaseOrTransaction, policies } from "@redflag/db";
import { eq } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { notFound } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { releasePolicyHolds } from "./release-policy-holds.ts";

/** Changes a policy's rules. A policy that stops being a hold policy lets its updates go at once. */
export async function updatePolicy(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; policyId: PolicyId; policy: PolicyDraft },
) {
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(policies).where(eq(policies.id, options.policyId)).for("update");
    if (!before) throw notFound("Policy", options.policyId);
    const [after] = await tx
      .update(policies)
      .set({ ...options.policy, updatedAt: new Date() })
      .where(eq(policies.id, options.policyId))
      .returning();
    if (!after) throw notFound("Policy", options.policyId);
    if (after.action !== "hold") {
      await releasePolicyHolds(tx, {
        policyId: after.id,
        actor: options.actor,
        reason: "the policy no longer holds updates",
      });
    }
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [{ action: "policy.updated", entityType: "policy", entityId: after.id, before, after }],
    });
    return after;
  });
}
