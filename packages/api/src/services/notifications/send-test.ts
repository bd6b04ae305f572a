import { type NotificationTargetId, newId } from "@redflag/contracts";
import { type DatabaseOrTransaction, notificationDeliveries, notificationTargets } from "@redflag/db";
import { eq } from "drizzle-orm";
import { notFound } from "../../errors.ts";
import { sendToTarget } from "./send-to-target.ts";

/**
 * Sends a test message to one target now, outside the queue and its backoff (disabled targets too:
 * testing one before enabling it is the point), and keeps the attempt in the delivery log.
 */
export async function sendTestNotification(
  db: DatabaseOrTransaction,
  options: { id: NotificationTargetId; serverSecret: string; username: string; now: Date },
) {
  const [target] = await db.select().from(notificationTargets).where(eq(notificationTargets.id, options.id));
  if (!target) throw notFound("Notification target", options.id);
  const deliveryId = newId("notificationDelivery");
  const message = {
    deliveryId,
    event: "test" as const,
    title: `RedFlag test notification for ${target.name}`,
    body: `${options.username} sent this test from the RedFlag dashboard at ${options.now.toISOString()}. If you read this, the ${target.kind} target works.`,
    payload: { test: true },
    createdAt: options.now,
  };
  const outcome = await sendToTarget(target, message, { serverSecret: options.serverSecret });
  await db.insert(notificationDeliveries).values({
    id: deliveryId,
    targetId: target.id,
    event: "test",
    dedupKey: `test:${deliveryId}`,
    title: message.title,
    body: message.body,
    payload: message.payload,
    status: outcome.ok ? "sent" : "failed",
    attempts: 1,
    nextAttemptAt: options.now,
    lastError: outcome.ok ? null : outcome.error,
    responseStatus: outcome.responseStatus,
    createdAt: options.now,
    sentAt: outcome.ok ? options.now : null,
  });
  return {
    deliveryId,
    ok: outcome.ok,
    responseStatus: outcome.responseStatus,
    error: outcome.ok ? null : outcome.error,
  };
}
