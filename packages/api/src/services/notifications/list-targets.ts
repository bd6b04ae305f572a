import { type DatabaseOrTransaction, notificationTargets } from "@redflag/db";
import { asc } from "drizzle-orm";
import { toTargetView } from "./target-view.ts";

export async function listNotificationTargets(db: DatabaseOrTransaction, options: { serverSecret: string }) {
  const rows = await db
    .select()
    .from(notificationTargets)
    .orderBy(asc(notificationTargets.name), asc(notificationTargets.id));
  return rows.map((row) => toTargetView(options.serverSecret, row));
}
