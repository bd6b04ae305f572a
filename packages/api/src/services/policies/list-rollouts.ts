import type { PolicyId, RolloutStatus } from "@redflag/contracts";
import { type DatabaseOrTransaction, policies, rollouts } from "@redflag/db";
import { and, desc, eq, sql } from "drizzle-orm";

const rolloutListLimit = 200;

/** The latest rollouts (of one policy, in one status), newest change first. */
export async function listRollouts(
  db: DatabaseOrTransaction,
  options: { policyId?: PolicyId; status?: RolloutStatus },
) {
  const rows = await db
    .select({
      id: rollouts.id,
      policyId: rollouts.policyId,
      policyName: policies.name,
      packageType: rollouts.packageType,
      packageName: rollouts.packageName,
      availableVersion: rollouts.availableVersion,
      stage: rollouts.stage,
      stageCount: sql<number>`jsonb_array_length(${policies.stages})::int`,
      stageStartedAt: rollouts.stageStartedAt,
      status: rollouts.status,
      stoppedReason: rollouts.stoppedReason,
      updatedAt: rollouts.updatedAt,
    })
    .from(rollouts)
    .innerJoin(policies, eq(policies.id, rollouts.policyId))
    .where(
      and(
        options.policyId ? eq(rollouts.policyId, options.policyId) : undefined,
        options.status ? eq(rollouts.status, options.status) : undefined,
      ),
    )
    .orderBy(desc(rollouts.updatedAt), desc(rollouts.id))
    .limit(rolloutListLimit);
  return rows.map((row) => ({ ...row, stageCount: Number(row.stageCount) }));
}
