import { type NotificationTargetDraft, newId, requiredNotificationSecrets } from "@redflag/contracts";
import { type DatabaseOrTransaction, notificationTargets } from "@redflag/db";
import type { AdminActor } from "../../actor.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { sealSecrets } from "./secret-box.ts";
import { mergeSecrets, toTargetView } from "./target-view.ts";

/** Saves a new notification target, its secrets encrypted; the audit event never holds them. */
export async function createNotificationTarget(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; serverSecret: string; target: NotificationTargetDraft },
) {
  const { target } = options;
  const secrets = mergeSecrets({}, target, requiredNotificationSecrets[target.kind]);
  const id = newId("notificationTarget");
  return db.transaction(async (tx) => {
    const [created] = await tx
      .insert(notificationTargets)
      .values({
        id,
        name: target.name,
        kind: target.kind,
        enabled: target.enabled,
        events: target.events,
        tags: target.tags,
        config: target.config,
        secretCiphertext:
          Object.keys(secrets).length > 0 ? sealSecrets(options.serverSecret, id, secrets) : null,
      })
      .returning();
    if (!created) throw new Error("the new notification target was not returned");
    const view = toTargetView(options.serverSecret, created);
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: "notification_target.created",
          entityType: "notification_target",
          entityId: id,
          after: view,
        },
      ],
    });
    return view;
  });
}
