import { newId, type PolicyDraft } from "@redflag/contracts";
import { type DatabaseOrTransaction, policies } from "@redflag/db";
import type { AdminActor } from "../../actor.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";

/** Saves a new policy (disabled unless asked): it acts at the policy job's next run. */
export async function createPolicy(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; policy: PolicyDraft; enabled: boolean },
) {
  return db.transaction(async (tx) => {
    const [created] = await tx
      .insert(policies)
      .values({ id: newId("policy"), ...options.policy, enabled: options.enabled })
      .returning();
    if (!created) throw new Error("the new policy was not returned");
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [{ action: "policy.created", entityType: "policy", entityId: created.id, after: created }],
    });
    return created;
  });
}
