import type { AuditEventId } from "@redflag/contracts";
import { index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** `automation`: a policy or maintenance window, whose id is the actor id. */
export type ActorType = "user" | "api_token" | "agent" | "automation" | "system";

/** Append-only: every state change, who made it, and the state before and after. */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: text("id").$type<AuditEventId>().primaryKey(),
    actorType: text("actor_type").$type<ActorType>().notNull(),
    actorId: text("actor_id"),
    action: text("action").notNull(),
    entityType: text("entity_type").notNull(),
    entityId: text("entity_id").notNull(),
    before: jsonb("before"),
    after: jsonb("after"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [
    index("audit_events_entity_idx").on(table.entityType, table.entityId, table.createdAt),
    index("audit_events_created_idx").on(table.createdAt),
  ],
);
