import type {
  NotificationDeliveryId,
  NotificationDeliveryStatus,
  NotificationEvent,
  NotificationKind,
  NotificationTargetId,
} from "@redflag/contracts";
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * Where notifications go. `config` holds what may be shown again (a server URL, a topic, an address);
 * `secretCiphertext` what may not (a token, a webhook URL with its key, an SMTP password), encrypted
 * with a key derived from the server secret and never returned by the API.
 */
export const notificationTargets = pgTable("notification_targets", {
  id: text("id").$type<NotificationTargetId>().primaryKey(),
  name: text("name").notNull(),
  kind: text("kind").$type<NotificationKind>().notNull(),
  enabled: boolean("enabled").notNull().default(true),
  config: jsonb("config").$type<Record<string, unknown>>().notNull().default({}),
  secretCiphertext: text("secret_ciphertext"),
  events: jsonb("events").$type<NotificationEvent[]>().notNull().default([]),
  /** Only events about agents carrying one of these tags (none: every agent; fleet-wide events always). */
  tags: jsonb("tags").$type<string[]>().notNull().default([]),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/** One notification for one target: written in the transaction of what it tells, sent by the scheduler. */
export const notificationDeliveries = pgTable(
  "notification_deliveries",
  {
    id: text("id").$type<NotificationDeliveryId>().primaryKey(),
    targetId: text("target_id")
      .$type<NotificationTargetId>()
      .notNull()
      .references(() => notificationTargets.id, { onDelete: "cascade" }),
    event: text("event").$type<NotificationEvent>().notNull(),
    /** The same event told twice (a retried write, two instances) is one delivery. */
    dedupKey: text("dedup_key").notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
    status: text("status").$type<NotificationDeliveryStatus>().notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    lastError: text("last_error"),
    responseStatus: integer("response_status"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true, mode: "date" }),
  },
  (table) => [
    uniqueIndex("notification_deliveries_dedup_uq").on(table.targetId, table.dedupKey),
    index("notification_deliveries_due_idx").on(table.status, table.nextAttemptAt),
    index("notification_deliveries_created_idx").on(table.createdAt, table.id),
  ],
);
