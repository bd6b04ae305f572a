import { type DatabaseOrTransaction, notificationDeliveries, notificationTargets } from "@redflag/db";
import { and, asc, eq, lte, or } from "drizzle-orm";
import { type SendOutcome, sendToTarget } from "./send-to-target.ts";

/** Waits before the 2nd, 3rd, … attempt; after the last one a delivery is `failed`. */
export const retryDelaysSeconds = [30, 120, 600, 3600, 6 * 3600] as const;
export const maxDeliveryAttempts = retryDelaysSeconds.length + 1;

const batchSize = 50;
/** Sent side by side, so one target that does not answer does not hold up the others for its timeout. */
const parallelSends = 10;

/**
 * Sends the due pending deliveries, oldest first, at most a batch per run. A first attempt is due at
 * once (whatever the clock says of its queueing time); a retry when its backoff has passed. Runs only
 * inside the scheduler's claimed job, so no two instances send the same delivery.
 */
export async function deliverNotifications(
  db: DatabaseOrTransaction,
  options: { now: Date; serverSecret: string; timeoutMs?: number },
): Promise<{ sent: number; failed: number; retrying: number }> {
  const due = await db
    .select({ delivery: notificationDeliveries, target: notificationTargets })
    .from(notificationDeliveries)
    .innerJoin(notificationTargets, eq(notificationTargets.id, notificationDeliveries.targetId))
    .where(
      and(
        eq(notificationDeliveries.status, "pending"),
        or(eq(notificationDeliveries.attempts, 0), lte(notificationDeliveries.nextAttemptAt, options.now)),
      ),
    )
    .orderBy(asc(notificationDeliveries.createdAt), asc(notificationDeliveries.id))
    .limit(batchSize);
  const counts = { sent: 0, failed: 0, retrying: 0 };
  for (let start = 0; start < due.length; start += parallelSends) {
    await Promise.all(
      due.slice(start, start + parallelSends).map(async ({ delivery, target }) => {
        const outcome: SendOutcome = target.enabled
          ? await sendToTarget(
              target,
              {
                deliveryId: delivery.id,
                event: delivery.event,
                title: delivery.title,
                body: delivery.body,
                payload: delivery.payload,
                createdAt: delivery.createdAt,
              },
              options,
            )
          : {
              ok: false,
              responseStatus: null,
              error: "The target was disabled before this was sent",
              permanent: true,
            };
        const result = await recordAttempt(db, {
          id: delivery.id,
          attempts: delivery.attempts,
          outcome,
          now: options.now,
        });
        counts[result] += 1;
      }),
    );
  }
  return counts;
}

async function recordAttempt(
  db: DatabaseOrTransaction,
  options: {
    id: typeof notificationDeliveries.$inferSelect.id;
    attempts: number;
    outcome: SendOutcome;
    now: Date;
  },
): Promise<"sent" | "failed" | "retrying"> {
  const { outcome, now } = options;
  const attempts = options.attempts + 1;
  if (outcome.ok) {
    await db
      .update(notificationDeliveries)
      .set({ status: "sent", attempts, sentAt: now, responseStatus: outcome.responseStatus, lastError: null })
      .where(eq(notificationDeliveries.id, options.id));
    return "sent";
  }
  const delay = retryDelaysSeconds[attempts - 1];
  const giveUp = outcome.permanent || delay === undefined;
  await db
    .update(notificationDeliveries)
    .set({
      status: giveUp ? "failed" : "pending",
      attempts,
      responseStatus: outcome.responseStatus,
      lastError:
        giveUp && !outcome.permanent
          ? `${outcome.error} (gave up after ${attempts} attempts)`
          : outcome.error,
      nextAttemptAt: giveUp ? now : new Date(now.getTime() + (delay ?? 0) * 1000),
    })
    .where(and(eq(notificationDeliveries.id, options.id), eq(notificationDeliveries.status, "pending")));
  return giveUp ? "failed" : "retrying";
}
