import { newId } from "@redflag/contracts";
import { agents, type DatabaseOrTransaction, type policies, rollouts, updates } from "@redflag/db";
import { and, asc, eq, gte, inArray, notExists, type SQL, sql } from "drizzle-orm";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { enqueueNotification } from "../notifications/enqueue-notification.ts";
import { automationActorOf } from "./apply-hold-policies.ts";
import { approveAsPolicy } from "./approve-by-policy.ts";
import { approvableCondition, notHeldBy, policyCriteriaCondition, stageOfAgent } from "./policy-match.ts";
import { policyTargetCondition } from "./preview-policy.ts";

type PolicyRow = typeof policies.$inferSelect;

/** The updates of the rollout's package version. */
const ofRollout: SQL = and(
  eq(updates.packageType, rollouts.packageType),
  eq(updates.packageName, rollouts.packageName),
  eq(updates.availableVersion, rollouts.availableVersion),
) as SQL;

/**
 * One run of a staged approve policy, in one transaction and a few set-based statements: a rollout for
 * each new package version it matches; running rollouts with a failed install since their stage began
 * stop (and say where); those whose stage is done and soaked move on; then every update of a running
 * or completed rollout on an agent of its stage or an earlier one is approved.
 *
 * Stage start times are wall-clock, like the update status times they are compared with.
 */
export async function runRollouts(
  db: DatabaseOrTransaction,
  options: { policy: PolicyRow; now: Date; holdPolicies: PolicyRow[] },
) {
  const { policy, now, holdPolicies } = options;
  const actor = automationActorOf(policy);
  const stageOf = stageOfAgent(policy.stages);
  const criteria = policyCriteriaCondition(policy, now);
  return db.transaction(async (tx) => {
    const fresh = await tx
      .selectDistinct({
        packageType: updates.packageType,
        packageName: updates.packageName,
        availableVersion: updates.availableVersion,
      })
      .from(updates)
      .innerJoin(agents, eq(agents.id, updates.agentId))
      .where(
        and(
          policyTargetCondition(policy, now, holdPolicies),
          notExists(
            tx
              .select({ id: rollouts.id })
              .from(rollouts)
              .where(and(eq(rollouts.policyId, policy.id), ofRollout)),
          ),
        ),
      );
    const startedAt = new Date();
    for (let start = 0; start < fresh.length; start += 1000) {
      const created = await tx
        .insert(rollouts)
        .values(
          fresh.slice(start, start + 1000).map((version) => ({
            id: newId("rollout"),
            policyId: policy.id,
            ...version,
            stage: 0,
            stageStartedAt: startedAt,
            status: "running" as const,
          })),
        )
        .onConflictDoNothing()
        .returning();
      await recordAuditEvents(tx, {
        actor,
        entries: created.map((rollout) => ({
          action: "rollout.started",
          entityType: "rollout",
          entityId: rollout.id,
          after: rollout,
        })),
      });
    }

    const stopped = await stopFailedRollouts(tx, { policy, stageOf, criteria });
    const advanced = await advanceRollouts(tx, { policy, stageOf, criteria, now });

    const rows = await tx
      .select({ id: updates.id, agentId: updates.agentId })
      .from(updates)
      .innerJoin(agents, eq(agents.id, updates.agentId))
      .innerJoin(rollouts, and(eq(rollouts.policyId, policy.id), ofRollout))
      .where(
        and(
          criteria,
          approvableCondition,
          notHeldBy(holdPolicies, now),
          inArray(rollouts.status, ["running", "completed"]),
          sql`${stageOf} <= ${rollouts.stage}`,
        ),
      )
      .orderBy(asc(updates.id))
      .for("update", { of: updates, skipLocked: true });
    const approval = await approveAsPolicy(tx, { policy, rows, now });
    return { ...approval, started: fresh.length, stopped, advanced };
  });
}

type StageContext = { policy: PolicyRow; stageOf: SQL<number | null>; criteria: SQL };

/** A failed update in the rollout's stages since its stage began stops it: nothing more is approved. */
async function stopFailedRollouts(tx: DatabaseOrTransaction, { policy, stageOf, criteria }: StageContext) {
  const failures = await tx
    .select({
      rolloutId: rollouts.id,
      stageStartedAt: rollouts.stageStartedAt,
      packageName: rollouts.packageName,
      availableVersion: rollouts.availableVersion,
      agentId: agents.id,
      hostname: agents.hostname,
      tags: agents.tags,
      commandId: updates.lastCommandId,
    })
    .from(rollouts)
    .innerJoin(updates, ofRollout)
    .innerJoin(agents, eq(agents.id, updates.agentId))
    .where(
      and(
        eq(rollouts.policyId, policy.id),
        eq(rollouts.status, "running"),
        eq(updates.status, "failed"),
        gte(updates.statusChangedAt, rollouts.stageStartedAt),
        sql`${stageOf} <= ${rollouts.stage}`,
        criteria,
      ),
    )
    .orderBy(asc(rollouts.id), asc(updates.statusChangedAt), asc(updates.id));
  const firstFailure = new Map<string, (typeof failures)[number]>();
  for (const failure of failures)
    if (!firstFailure.has(failure.rolloutId)) firstFailure.set(failure.rolloutId, failure);
  for (const failure of firstFailure.values()) {
    const reason = `The install of ${failure.packageName} ${failure.availableVersion} failed on ${failure.hostname}${
      failure.commandId ? ` (command ${failure.commandId})` : ""
    }`;
    await tx
      .update(rollouts)
      .set({ status: "stopped", stoppedReason: reason, updatedAt: new Date() })
      .where(eq(rollouts.id, failure.rolloutId));
    await recordAuditEvents(tx, {
      actor: automationActorOf(policy),
      entries: [
        {
          action: "rollout.stopped",
          entityType: "rollout",
          entityId: failure.rolloutId,
          before: { status: "running" },
          after: { status: "stopped", stoppedReason: reason, commandId: failure.commandId },
        },
      ],
    });
    await enqueueNotification(tx, {
      event: "rollout_stopped",
      agent: { id: failure.agentId, hostname: failure.hostname, tags: failure.tags },
      dedupKey: `rollout:${failure.rolloutId}:stopped:${failure.stageStartedAt.toISOString()}`,
      title: `Rollout of ${failure.packageName} ${failure.availableVersion} stopped`,
      body: `${reason}. Policy ${policy.name} approves nothing more of this version until an admin resumes it.`,
      payload: { policyId: policy.id, rolloutId: failure.rolloutId, commandId: failure.commandId },
    });
  }
  return firstFailure.size;
}

/**
 * A running rollout whose stage has nothing left to install (every update of the stage installed, or
 * held, rejected or failed before a resume) and whose last install finished the stage's soak ago moves
 * to the next stage, or is completed after the last.
 */
async function advanceRollouts(
  tx: DatabaseOrTransaction,
  { policy, stageOf, criteria, now }: StageContext & { now: Date },
) {
  const inStage = sql`from ${updates} join ${agents} on ${agents.id} = ${updates.agentId}
    where ${ofRollout} and ${stageOf} = ${rollouts.stage} and ${criteria}`;
  const stages = await tx
    .select({
      id: rollouts.id,
      stage: rollouts.stage,
      pending: sql<number>`(select count(*) ${inStage} and (${updates.status} in ('approved', 'installing')
        or (${approvableCondition})))::int`,
      lastInstalledAt: sql<Date | null>`(select max(${updates.statusChangedAt}) ${inStage}
        and ${updates.status} = 'installed')`.mapWith(updates.statusChangedAt),
    })
    .from(rollouts)
    .where(and(eq(rollouts.policyId, policy.id), eq(rollouts.status, "running")));
  let advanced = 0;
  for (const rollout of stages) {
    if (Number(rollout.pending) > 0) continue;
    const soakMinutes = policy.stages[rollout.stage]?.soakMinutes ?? 0;
    const last = rollout.stage >= policy.stages.length - 1;
    if (
      !last &&
      rollout.lastInstalledAt &&
      rollout.lastInstalledAt.getTime() + soakMinutes * 60_000 > now.getTime()
    ) {
      continue;
    }
    const change = last
      ? { status: "completed" as const }
      : { stage: rollout.stage + 1, stageStartedAt: new Date() };
    await tx
      .update(rollouts)
      .set({ ...change, updatedAt: new Date() })
      .where(eq(rollouts.id, rollout.id));
    await recordAuditEvents(tx, {
      actor: automationActorOf(policy),
      entries: [
        {
          action: last ? "rollout.completed" : "rollout.advanced",
          entityType: "rollout",
          entityId: rollout.id,
          before: { stage: rollout.stage, status: "running" },
          after: last ? { stage: rollout.stage, status: "completed" } : { stage: rollout.stage + 1 },
        },
      ],
    });
    advanced++;
  }
  return advanced;
}
