import type { AgentId, UpdateId } from "@redflag/contracts";
import { agents, type DatabaseOrTransaction, type policies, updates } from "@redflag/db";
import { asc, eq } from "drizzle-orm";
import { enqueueNotification } from "../notifications/enqueue-notification.ts";
import { decideUpdates } from "../updates/decide-updates.ts";
import { automationActorOf } from "./apply-hold-policies.ts";
import { policyTargetCondition } from "./preview-policy.ts";

type PolicyRow = typeof policies.$inferSelect;

const chunkSize = 1000;

/**
 * Approves `rows` (locked by the caller's transaction) as the policy, one audit event per update, and
 * tells the targets that want it how many it approved on how many hosts. Approving does not install:
 * the host's maintenance window or an admin does.
 */
export async function approveAsPolicy(
  tx: DatabaseOrTransaction,
  options: { policy: PolicyRow; rows: { id: UpdateId; agentId: AgentId }[]; now: Date },
) {
  const { policy, rows } = options;
  let approved = 0;
  for (let start = 0; start < rows.length; start += chunkSize) {
    const { changed } = await decideUpdates(tx, {
      actor: automationActorOf(policy),
      updateIds: rows.slice(start, start + chunkSize).map((row) => row.id),
      decision: "approved",
    });
    approved += changed;
  }
  const hosts = new Set(rows.map((row) => row.agentId)).size;
  if (approved > 0) {
    await enqueueNotification(tx, {
      event: "automation_summary",
      dedupKey: `policy:${policy.id}:${options.now.toISOString()}`,
      title: `Policy ${policy.name} approved ${approved} update${approved === 1 ? "" : "s"} on ${hosts} host${hosts === 1 ? "" : "s"}`,
      body: "They install in their hosts' maintenance windows, or when an admin installs them.",
      payload: { policyId: policy.id, approved, hosts },
    });
  }
  return { approved, hosts };
}

/** One run of an approve policy without stages: everything it matches now, in one transaction. */
export async function approveByPolicy(
  db: DatabaseOrTransaction,
  options: { policy: PolicyRow; now: Date; holdPolicies: PolicyRow[] },
) {
  return db.transaction(async (tx) => {
    const rows = await tx
      .select({ id: updates.id, agentId: updates.agentId })
      .from(updates)
      .innerJoin(agents, eq(agents.id, updates.agentId))
      .where(policyTargetCondition(options.policy, options.now, options.holdPolicies))
      .orderBy(asc(updates.id))
      // An update an admin is changing right now is left to the next run.
      .for("update", { of: updates, skipLocked: true });
    return approveAsPolicy(tx, { policy: options.policy, rows, now: options.now });
  });
}
