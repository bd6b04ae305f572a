import type { NotificationTargetId } from "@redflag/contracts";
import { type DatabaseOrTransaction, notificationTargets } from "@redflag/db";
import { eq } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { notFound } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { toTargetView } from "./target-view.ts";

/** Deletes a target and, with it, its delivery log (nothing more will be sent to it). */
export async function deleteNotificationTarget(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; serverSecret: string; id: NotificationTargetId },
) {
  return db.transaction(async (tx) => {
    const [before] = await tx
      .delete(notificationTargets)
      .where(eq(notificationTargets.id, options.id))
      .returning();
    if (!before) throw notFound("Notification target", options.id);
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: "notification_target.deleted",
          entityType: "notification_target",
          entityId: before.id,
          before: toTargetView(options.serverSecret, before),
        },
      ],
    });
    return { deleted: true };
  });
}
