import { type AgentId, type NotificationEvent, newId } from "@redflag/contracts";
import { type DatabaseOrTransaction, notificationDeliveries, notificationTargets } from "@redflag/db";
import { and, eq, sql } from "drizzle-orm";

/** Something worth telling an admin, as every target kind renders it. */
export type NotificationMessage = {
  event: NotificationEvent;
  /** The agent it is about: targets limited to tags hear of it only if it carries one. Absent: fleet-wide. */
  agent?: { id: AgentId; hostname: string; tags: string[] } | null;
  /** The same event told twice (a retried write, a job run again after a crash) is delivered once. */
  dedupKey: string;
  title: string;
  body: string;
  /** Details for the JSON webhook and for links (command id, update counts, …). */
  payload?: Record<string, unknown>;
};

/**
 * Queues a message for every enabled target that wants its event (and its agent's tags), in the
 * caller's transaction: it is sent only if what it tells was committed, and the scheduler sends it
 * with retries. Returns how many deliveries were queued.
 */
export async function enqueueNotification(
  tx: DatabaseOrTransaction,
  message: NotificationMessage,
): Promise<number> {
  const conditions = [
    eq(notificationTargets.enabled, true),
    sql`${notificationTargets.events} @> ${JSON.stringify([message.event])}::jsonb`,
  ];
  if (message.agent) {
    conditions.push(
      sql`(jsonb_array_length(${notificationTargets.tags}) = 0 or ${notificationTargets.tags} ?| ${sql.param(message.agent.tags)}::text[])`,
    );
  }
  const targets = await tx
    .select({ id: notificationTargets.id })
    .from(notificationTargets)
    .where(and(...conditions));
  if (targets.length === 0) return 0;
  const payload = {
    ...message.payload,
    ...(message.agent ? { agentId: message.agent.id, hostname: message.agent.hostname } : {}),
  };
  const inserted = await tx
    .insert(notificationDeliveries)
    .values(
      targets.map((target) => ({
        id: newId("notificationDelivery"),
        targetId: target.id,
        event: message.event,
        dedupKey: message.dedupKey,
        title: message.title,
        body: message.body,
        payload,
        status: "pending" as const,
      })),
    )
    .onConflictDoNothing()
    .returning({ id: notificationDeliveries.id });
  return inserted.length;
}
