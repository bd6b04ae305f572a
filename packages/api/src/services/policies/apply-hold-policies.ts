import { agents, type DatabaseOrTransaction, policies, updates } from "@redflag/db";
import { and, eq, inArray, isNull, not, or, type SQL, sql } from "drizzle-orm";
import type { AutomationActor } from "../../actor.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { policyTargetCondition } from "./preview-policy.ts";
import { releasePolicyHolds } from "./release-policy-holds.ts";

type PolicyRow = typeof policies.$inferSelect;

export function automationActorOf(policy: Pick<PolicyRow, "id" | "name">): AutomationActor {
  return { type: "automation", id: policy.id, name: policy.name };
}

function matchedBy(policy: PolicyRow, now: Date): SQL {
  return sql`exists (select 1 from ${agents} where ${agents.id} = ${updates.agentId} and ${policyTargetCondition(policy, now)})`;
}

/**
 * Keeps `updates.held_by_policy_id` exact, in one transaction and a few set-based statements: holds of
 * disabled or no-longer-hold policies are released, each hold policy releases what it no longer
 * matches, then marks what it matches and nobody holds yet. Every change is audited as its policy.
 */
export async function applyHoldPolicies(
  db: DatabaseOrTransaction,
  options: { holdPolicies: PolicyRow[]; now: Date },
) {
  return db.transaction(async (tx) => {
    const stale = await tx
      .select({ id: policies.id, name: policies.name })
      .from(policies)
      .where(
        and(
          or(eq(policies.enabled, false), sql`${policies.action} <> 'hold'`),
          inArray(
            policies.id,
            tx
              .selectDistinct({ id: sql`${updates.heldByPolicyId}` })
              .from(updates)
              .where(sql`${updates.heldByPolicyId} is not null`),
          ),
        ),
      );
    let released = 0;
    for (const policy of stale) {
      released += await releasePolicyHolds(tx, {
        policyId: policy.id,
        actor: automationActorOf(policy),
        reason: "the policy no longer holds updates",
      });
    }
    for (const policy of options.holdPolicies) {
      released += await releasePolicyHolds(tx, {
        policyId: policy.id,
        actor: automationActorOf(policy),
        where: not(matchedBy(policy, options.now)),
        reason: "no longer matched by the policy",
      });
    }
    let held = 0;
    for (const policy of options.holdPolicies) {
      const marked = await tx
        .update(updates)
        .set({ heldByPolicyId: policy.id })
        .where(and(isNull(updates.heldByPolicyId), matchedBy(policy, options.now)))
        .returning({ id: updates.id });
      held += marked.length;
      await recordAuditEvents(tx, {
        actor: automationActorOf(policy),
        entries: marked.map((row) => ({
          action: "update.held",
          entityType: "update",
          entityId: row.id,
          before: { heldByPolicyId: null },
          after: { heldByPolicyId: policy.id },
        })),
      });
    }
    return { held, released };
  });
}
