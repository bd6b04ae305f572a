import type { PolicyId } from "@redflag/contracts";
import { type DatabaseOrTransaction, policies } from "@redflag/db";
import { eq } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { notFound } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { releasePolicyHolds } from "./release-policy-holds.ts";

/** Turns a policy on (it acts at the policy job's next run) or off (its holds are released now). */
export async function setPolicyEnabled(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; policyId: PolicyId; enabled: boolean },
) {
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(policies).where(eq(policies.id, options.policyId)).for("update");
    if (!before) throw notFound("Policy", options.policyId);
    if (before.enabled === options.enabled) return before;
    const [after] = await tx
      .update(policies)
      .set({ enabled: options.enabled, updatedAt: new Date() })
      .where(eq(policies.id, options.policyId))
      .returning();
    if (!after) throw notFound("Policy", options.policyId);
    if (!options.enabled) {
      await releasePolicyHolds(tx, {
        policyId: after.id,
        actor: options.actor,
        reason: "the policy was disabled",
      });
    }
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: options.enabled ? "policy.enabled" : "policy.disabled",
          entityType: "policy",
          entityId: after.id,
          before: { enabled: before.enabled },
          after: { enabled: after.enabled },
        },
      ],
    });
    return after;
  });
}
