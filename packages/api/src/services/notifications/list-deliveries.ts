import type { NotificationDeliveryStatus, NotificationTargetId } from "@redflag/contracts";
import { type DatabaseOrTransaction, notificationDeliveries, notificationTargets } from "@redflag/db";
import { and, count, desc, eq, type SQL } from "drizzle-orm";

/** The delivery log, newest first, a page at a time. */
export async function listNotificationDeliveries(
  db: DatabaseOrTransaction,
  options: {
    status?: NotificationDeliveryStatus;
    targetId?: NotificationTargetId;
    page: number;
    pageSize: number;
  },
) {
  const conditions: SQL[] = [];
  if (options.status) conditions.push(eq(notificationDeliveries.status, options.status));
  if (options.targetId) conditions.push(eq(notificationDeliveries.targetId, options.targetId));
  const where = conditions.length > 0 ? and(...conditions) : undefined;
  const [rows, [total]] = await Promise.all([
    db
      .select({
        id: notificationDeliveries.id,
        targetId: notificationDeliveries.targetId,
        targetName: notificationTargets.name,
        event: notificationDeliveries.event,
        title: notificationDeliveries.title,
        status: notificationDeliveries.status,
        attempts: notificationDeliveries.attempts,
        nextAttemptAt: notificationDeliveries.nextAttemptAt,
        lastError: notificationDeliveries.lastError,
        responseStatus: notificationDeliveries.responseStatus,
        createdAt: notificationDeliveries.createdAt,
        sentAt: notificationDeliveries.sentAt,
      })
      .from(notificationDeliveries)
      .innerJoin(notificationTargets, eq(notificationTargets.id, notificationDeliveries.targetId))
      .where(where)
      .orderBy(desc(notificationDeliveries.createdAt), desc(notificationDeliveries.id))
      .limit(options.pageSize)
      .offset((options.page - 1) * options.pageSize),
    db.select({ total: count() }).from(notificationDeliveries).where(where),
  ]);
  return { rows, total: total?.total ?? 0 };
}
