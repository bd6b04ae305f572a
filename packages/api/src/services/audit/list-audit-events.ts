import { auditEvents, type DatabaseOrTransaction } from "@redflag/db";
import { and, count, desc, eq, type SQL } from "drizzle-orm";

export async function listAuditEvents(
  db: DatabaseOrTransaction,
  filter: { entityType?: string; entityId?: string; page: number; pageSize: number },
) {
  const conditions: SQL[] = [];
  if (filter.entityType) conditions.push(eq(auditEvents.entityType, filter.entityType));
  if (filter.entityId) conditions.push(eq(auditEvents.entityId, filter.entityId));
  const where = and(...conditions);
  const [items, totals] = await Promise.all([
    db
      .select()
      .from(auditEvents)
      .where(where)
      .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id))
      .limit(filter.pageSize)
      .offset((filter.page - 1) * filter.pageSize),
    db.select({ total: count() }).from(auditEvents).where(where),
  ]);
  return { items, total: totals[0]?.total ?? 0 };
}
