import {
  type NotificationTargetDraft,
  type NotificationTargetId,
  requiredNotificationSecrets,
} from "@redflag/contracts";
import { type DatabaseOrTransaction, notificationTargets } from "@redflag/db";
import { eq } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { AppError, notFound } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { openSecrets, SealedSecretError, sealSecrets } from "./secret-box.ts";
import { mergeSecrets, toTargetView } from "./target-view.ts";

/**
 * Changes a target. Its kind stays what it was created as (its secrets mean nothing to another kind);
 * secrets left out are kept. Secrets that no longer open must all be entered again.
 */
export async function updateNotificationTarget(
  db: DatabaseOrTransaction,
  options: {
    actor: AdminActor;
    serverSecret: string;
    id: NotificationTargetId;
    target: NotificationTargetDraft;
  },
) {
  const { target } = options;
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(notificationTargets)
      .where(eq(notificationTargets.id, options.id))
      .for("update");
    if (!before) throw notFound("Notification target", options.id);
    if (before.kind !== target.kind) {
      throw new AppError(
        "BAD_REQUEST",
        `This target is a ${before.kind} target; create a new target for ${target.kind}`,
      );
    }
    let stored: Record<string, string> = {};
    try {
      stored = openSecrets(options.serverSecret, before.id, before.secretCiphertext);
    } catch (error) {
      if (!(error instanceof SealedSecretError)) throw error;
    }
    const secrets = mergeSecrets(stored, target, requiredNotificationSecrets[target.kind]);
    const [after] = await tx
      .update(notificationTargets)
      .set({
        name: target.name,
        enabled: target.enabled,
        events: target.events,
        tags: target.tags,
        config: target.config,
        secretCiphertext:
          Object.keys(secrets).length > 0 ? sealSecrets(options.serverSecret, before.id, secrets) : null,
        updatedAt: new Date(),
      })
      .where(eq(notificationTargets.id, before.id))
      .returning();
    if (!after) throw new Error("the updated notification target was not returned");
    const view = toTargetView(options.serverSecret, after);
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: "notification_target.updated",
          entityType: "notification_target",
          entityId: before.id,
          before: toTargetView(options.serverSecret, before),
          after: view,
        },
      ],
    });
    return view;
  });
}
