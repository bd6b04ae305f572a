import type { PolicyId } from "@redflag/contracts";
import { auditEvents, type DatabaseOrTransaction, policies, updates } from "@redflag/db";
import { and, asc, count, eq, gte, isNotNull } from "drizzle-orm";

const recentDays = 7;

/** Every policy with what it does now: the updates it holds, those it approved in the last week. */
export async function listPolicies(db: DatabaseOrTransaction, options: { now?: Date } = {}) {
  const since = new Date((options.now ?? new Date()).getTime() - recentDays * 86_400_000);
  const [rows, held, approved] = await Promise.all([
    db.select().from(policies).orderBy(asc(policies.name), asc(policies.id)),
    db
      .select({ policyId: updates.heldByPolicyId, total: count() })
      .from(updates)
      .where(isNotNull(updates.heldByPolicyId))
      .groupBy(updates.heldByPolicyId),
    // A range of the audit trail's time index: a week of events, not the whole trail.
    db
      .select({ policyId: auditEvents.actorId, total: count() })
      .from(auditEvents)
      .where(
        and(
          gte(auditEvents.createdAt, since),
          eq(auditEvents.actorType, "automation"),
          eq(auditEvents.action, "update.approved"),
        ),
      )
      .groupBy(auditEvents.actorId),
  ]);
  const heldBy = new Map(held.map((row) => [row.policyId, row.total]));
  const approvedBy = new Map(approved.map((row) => [row.policyId as PolicyId | null, row.total]));
  return rows.map((policy) => ({
    ...policy,
    heldCount: heldBy.get(policy.id) ?? 0,
    approvedRecently: approvedBy.get(policy.id) ?? 0,
  }));
}
