import type { PolicyDraft, UpdateStatus } from "@redflag/contracts";
import { agents, type RolloutStage, updates } from "@redflag/db";
import { and, eq, inArray, isNull, lte, not, or, type SQL, sql } from "drizzle-orm";

/** What a policy matches on; the same fields in a saved policy and in a draft being previewed. */
export type PolicyCriteria = Pick<
  PolicyDraft,
  | "packageTypes"
  | "severities"
  | "securityOnly"
  | "packagePatterns"
  | "excludePatterns"
  | "tags"
  | "agentIds"
  | "minAgeHours"
>;

/**
 * A package name pattern (`*` any run, `?` one character, see packagePatternSchema) as a LIKE pattern
 * with `\` as its escape: `%`, `_` and `\` in a name are matched as themselves.
 */
export function likePatternOf(glob: string): string {
  let like = "";
  for (const character of glob) {
    if (character === "*") like += "%";
    else if (character === "?") like += "_";
    else if (character === "%" || character === "_" || character === "\\") like += `\\${character}`;
    else like += character;
  }
  return like;
}

function anyNameLike(patterns: string[]): SQL {
  const likes = patterns.map(
    (pattern) => sql`${updates.packageName} like ${likePatternOf(pattern)} escape '\\'`,
  );
  return sql`(${sql.join(likes, sql` or `)})`;
}

/** Agents carrying any of `tags`. */
export function agentHasAnyTag(tags: string[]): SQL {
  return sql`${agents.tags} ?| ${sql.param(tags)}::text[]`;
}

/**
 * The policy's criteria over `updates` joined to `agents` (status aside): every list that is empty
 * matches everything. The policy run, the preview and the rollouts all build on this one condition,
 * so what the preview shows is what the run does.
 */
export function policyCriteriaCondition(policy: PolicyCriteria, now: Date): SQL {
  const conditions: (SQL | undefined)[] = [];
  if (policy.packageTypes.length > 0) conditions.push(inArray(updates.packageType, policy.packageTypes));
  if (policy.severities.length > 0) conditions.push(inArray(updates.severity, policy.severities));
  if (policy.securityOnly) conditions.push(eq(updates.security, true));
  if (policy.packagePatterns.length > 0) conditions.push(anyNameLike(policy.packagePatterns));
  if (policy.excludePatterns.length > 0) conditions.push(not(anyNameLike(policy.excludePatterns)));
  if (policy.tags.length > 0 || policy.agentIds.length > 0) {
    conditions.push(
      or(
        policy.tags.length > 0 ? agentHasAnyTag(policy.tags) : undefined,
        policy.agentIds.length > 0 ? inArray(agents.id, policy.agentIds) : undefined,
      ),
    );
  }
  if (policy.minAgeHours > 0) {
    conditions.push(lte(updates.firstSeenAt, new Date(now.getTime() - policy.minAgeHours * 3_600_000)));
  }
  return and(...conditions) ?? sql`true`;
}

/**
 * What an approve policy may approve: only `available` updates (a failed or rejected one was dealt
 * with by an admin), never one its host holds back or a hold policy holds.
 */
export const approvableCondition: SQL = and(
  eq(updates.status, "available"),
  eq(updates.hostHeld, false),
  isNull(updates.heldByPolicyId),
) as SQL;

/**
 * Not matched by any of the enabled hold policies: an update a hold policy matches is never approved,
 * even in the moment between its arrival (a scan) and the run that marks it held.
 */
export function notHeldBy(holdPolicies: PolicyCriteria[], now: Date): SQL | undefined {
  return and(...holdPolicies.map((hold) => not(policyCriteriaCondition(hold, now))));
}

/** The updates a hold policy marks: those not installed, resolved or being installed. */
export const holdableStatuses: UpdateStatus[] = ["available", "approved", "failed", "rejected"];

/** The full condition of what a policy acts on now: approve or hold. */
export function policyActionCondition(policy: PolicyCriteria & Pick<PolicyDraft, "action">, now: Date): SQL {
  const criteria = policyCriteriaCondition(policy, now);
  return policy.action === "approve"
    ? (and(criteria, approvableCondition) as SQL)
    : (and(criteria, inArray(updates.status, holdableStatuses)) as SQL);
}

/**
 * The stage an agent belongs to in a staged rollout: the first stage whose tags it carries; a last
 * stage without tags takes every agent left. Null: no stage (the policy does not approve there).
 */
export function stageOfAgent(stages: RolloutStage[]): SQL<number | null> {
  const branches = stages.map((stage, index) =>
    stage.tags.length === 0
      ? sql`when true then ${sql.raw(String(index))}`
      : sql`when ${agentHasAnyTag(stage.tags)} then ${sql.raw(String(index))}`,
  );
  return sql<number | null>`(case ${sql.join(branches, sql` `)} else null end)`;
}
