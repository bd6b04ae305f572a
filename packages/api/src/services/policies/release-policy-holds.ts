import type { PolicyId } from "@redflag/contracts";
import { type DatabaseOrTransaction, updates } from "@redflag/db";
import { and, eq, type SQL } from "drizzle-orm";
import type { Actor } from "../../actor.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";

/**
 * Sets free the updates a hold policy holds (all of them, or those `where` says), with an audit event
 * each: the policy was disabled, deleted or changed, or no longer matches them.
 */
export async function releasePolicyHolds(
  tx: DatabaseOrTransaction,
  options: { policyId: PolicyId; actor: Actor; where?: SQL; reason: string },
): Promise<number> {
  const released = await tx
    .update(updates)
    .set({ heldByPolicyId: null })
    .where(and(eq(updates.heldByPolicyId, options.policyId), options.where))
    .returning({ id: updates.id });
  await recordAuditEvents(tx, {
    actor: options.actor,
    entries: released.map((row) => ({
      action: "update.released",
      entityType: "update",
      entityId: row.id,
      before: { heldByPolicyId: options.policyId },
      after: { heldByPolicyId: null, reason: options.reason },
    })),
  });
  return released.length;
}
