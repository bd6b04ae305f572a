import { type DatabaseOrTransaction, settings } from "@redflag/db";
import { eq } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { getSettings } from "./get-settings.ts";
import type { SetSettingInput } from "./settings-schema.ts";

export async function setSetting(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; setting: SetSettingInput },
) {
  const { key, value } = options.setting;
  return db.transaction(async (tx) => {
    const before = (await getSettings(tx))[key];
    await tx
      .insert(settings)
      .values({ key, value, updatedBy: options.actor.userId })
      .onConflictDoUpdate({
        target: settings.key,
        set: { value, updatedAt: new Date(), updatedBy: options.actor.userId },
      });
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [{ action: "setting.set", entityType: "setting", entityId: key, before, after: value }],
    });
    const [row] = await tx.select().from(settings).where(eq(settings.key, key));
    return { key, value: row?.value };
  });
}
