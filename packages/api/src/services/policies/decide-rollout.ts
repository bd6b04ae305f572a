import type { RolloutId } from "@redflag/contracts";
import { type DatabaseOrTransaction, rollouts } from "@redflag/db";
import { eq } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { AppError, notFound } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";

/**
 * An admin's answer to a stopped rollout: `resume` it (the failures so far are accepted and its stage
 * starts again now: only a new failure stops it again), or `cancel` it (nothing more of this version is
 * approved by the policy; what was approved stays approved).
 */
export async function decideRollout(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; rolloutId: RolloutId; decision: "resume" | "cancel" },
) {
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(rollouts).where(eq(rollouts.id, options.rolloutId)).for("update");
    if (!before) throw notFound("Rollout", options.rolloutId);
    const allowed = options.decision === "resume" ? ["stopped"] : ["running", "stopped"];
    if (!allowed.includes(before.status)) {
      throw new AppError(
        "CONFLICT",
        `Cannot ${options.decision} rollout ${before.id}: it is ${before.status}${
          options.decision === "resume" ? "; only a stopped rollout can be resumed" : ""
        }`,
      );
    }
    const now = new Date();
    const change =
      options.decision === "resume"
        ? { status: "running" as const, stoppedReason: null, stageStartedAt: now, updatedAt: now }
        : { status: "cancelled" as const, updatedAt: now };
    const [after] = await tx.update(rollouts).set(change).where(eq(rollouts.id, before.id)).returning();
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: options.decision === "resume" ? "rollout.resumed" : "rollout.cancelled",
          entityType: "rollout",
          entityId: before.id,
          before: { status: before.status, stoppedReason: before.stoppedReason },
          after: { status: after?.status },
        },
      ],
    });
    return after ?? before;
  });
}
