import { auditEvents, type DatabaseOrTransaction, rowsOf } from "@redflag/db";
import { and, count, desc, eq, type SQL, sql } from "drizzle-orm";
import { scanReconciledAction } from "./scan-audit-event.ts";

type AuditEventRow = typeof auditEvents.$inferSelect;

export async function listAuditEvents(
  db: DatabaseOrTransaction,
  filter: { entityType?: string; entityId?: string; page: number; pageSize: number },
) {
  if (filter.entityType === "update" && filter.entityId) {
    return listUpdateHistory(db, { ...filter, updateId: filter.entityId });
  }
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

/**
 * One update's events: its own, and its part of the scan reports that changed it (recorded once per
 * report on the agent, see scan-audit-event.ts), shown as the event the update would have had alone.
 */
async function listUpdateHistory(
  db: DatabaseOrTransaction,
  filter: { updateId: string; page: number; pageSize: number },
) {
  const history = sql`(
    select id, actor_type, actor_id, action, entity_type, entity_id, before, after, created_at
    from audit_events where entity_type = 'update' and entity_id = ${filter.updateId}
    union all
    select scan.id, scan.actor_type, scan.actor_id, part.action, 'update', ${filter.updateId}, null,
      jsonb_build_object('scanId', scan.after -> 'scanId',
        'status', case when part.action = 'update.changed' then null else substr(part.action, 8) end),
      scan.created_at
    from audit_events scan
    cross join lateral (
      select key as action from jsonb_each(scan.after -> 'updates')
      where value @> jsonb_build_array(${filter.updateId}::text) limit 1) part
    where scan.entity_type = 'agent' and scan.action = ${scanReconciledAction}
      and scan.entity_id = (select agent_id from updates where id = ${filter.updateId})
  ) history`;
  const [rows, totals] = await Promise.all([
    db.execute(sql`
      select id, actor_type, actor_id, action, entity_type, entity_id,
        before::text as before, after::text as after, created_at
      from ${history}
      order by created_at desc, id desc
      limit ${filter.pageSize} offset ${(filter.page - 1) * filter.pageSize}`),
    db.execute(sql`select count(*)::int as total from ${history}`),
  ]);
  const items = rowsOf<RawAuditEvent>(rows).map(
    (row): AuditEventRow => ({
      id: row.id,
      actorType: row.actor_type,
      actorId: row.actor_id,
      action: row.action,
      entityType: row.entity_type,
      entityId: row.entity_id,
      before: row.before === null ? null : JSON.parse(row.before),
      after: row.after === null ? null : JSON.parse(row.after),
      createdAt: new Date(row.created_at),
    }),
  );
  return { items, total: rowsOf<{ total: number }>(totals)[0]?.total ?? 0 };
}

type RawAuditEvent = {
  id: AuditEventRow["id"];
  actor_type: AuditEventRow["actorType"];
  actor_id: string | null;
  action: string;
  entity_type: string;
  entity_id: string;
  before: string | null;
  after: string | null;
  created_at: string | Date;
};
