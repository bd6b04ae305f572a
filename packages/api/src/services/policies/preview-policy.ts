import type { PolicyDraft, PolicyPreview } from "@redflag/contracts";
import { agents, type DatabaseOrTransaction, policies, updates } from "@redflag/db";
import { and, asc, eq, isNotNull, type SQL, sql } from "drizzle-orm";
import { notHeldBy, type PolicyCriteria, policyActionCondition, stageOfAgent } from "./policy-match.ts";

export const previewRowLimit = 50;

/**
 * The condition of what a policy acts on now, over `updates` joined to `agents`: the policy run
 * selects with exactly this, so the preview cannot tell another story than the run.
 */
export function policyTargetCondition(
  policy: PolicyDraft,
  now: Date,
  holdPolicies: PolicyCriteria[] = [],
): SQL {
  return and(
    policyActionCondition(policy, now),
    policy.action === "approve" ? notHeldBy(holdPolicies, now) : undefined,
    // A staged policy approves only on agents that belong to one of its stages.
    policy.stages.length > 0 ? isNotNull(stageOfAgent(policy.stages)) : undefined,
  ) as SQL;
}

/** The enabled hold policies, whose matches no approve policy touches. */
export function enabledHoldPolicies(db: DatabaseOrTransaction) {
  return db
    .select()
    .from(policies)
    .where(and(eq(policies.enabled, true), eq(policies.action, "hold")));
}

/** "This policy would approve (or hold) these N updates on M hosts now", with the first rows. */
export async function previewPolicy(
  db: DatabaseOrTransaction,
  options: { policy: PolicyDraft; now: Date },
): Promise<PolicyPreview> {
  const { policy } = options;
  const holds = policy.action === "approve" ? await enabledHoldPolicies(db) : [];
  const where = policyTargetCondition(policy, options.now, holds);
  const staged = policy.stages.length > 0;
  const [totals, rows] = await Promise.all([
    db
      .select({
        total: sql<number>`count(*)::int`,
        hosts: sql<number>`count(distinct ${updates.agentId})::int`,
        firstStage: staged
          ? sql<number>`(count(*) filter (where ${stageOfAgent(policy.stages)} = 0))::int`
          : sql<null>`null`,
      })
      .from(updates)
      .innerJoin(agents, eq(agents.id, updates.agentId))
      .where(where),
    db
      .select({
        updateId: updates.id,
        agentId: updates.agentId,
        hostname: agents.hostname,
        packageType: updates.packageType,
        packageName: updates.packageName,
        currentVersion: updates.currentVersion,
        availableVersion: updates.availableVersion,
        severity: updates.severity,
        security: updates.security,
      })
      .from(updates)
      .innerJoin(agents, eq(agents.id, updates.agentId))
      .where(where)
      .orderBy(asc(agents.hostname), asc(updates.packageName), asc(updates.id))
      .limit(previewRowLimit),
  ]);
  const summary = totals[0];
  return {
    action: policy.action,
    total: Number(summary?.total ?? 0),
    hosts: Number(summary?.hosts ?? 0),
    firstStage: staged ? Number(summary?.firstStage ?? 0) : null,
    rows,
  };
}
