import type { NotificationEvent } from "@redflag/contracts";
import { type DatabaseOrTransaction, notificationTargets } from "@redflag/db";
import { eq } from "drizzle-orm";

/** The events some enabled target wants: a watch looks for nothing no one listens to. */
export async function wantedEvents(db: DatabaseOrTransaction): Promise<Set<NotificationEvent>> {
  const rows = await db
    .select({ events: notificationTargets.events })
    .from(notificationTargets)
    .where(eq(notificationTargets.enabled, true));
  return new Set(rows.flatMap((row) => row.events));
}
