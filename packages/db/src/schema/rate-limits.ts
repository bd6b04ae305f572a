import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Fixed-window counters; kept in the database so every server instance shares them. */
export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  windowStartedAt: timestamp("window_started_at", { withTimezone: true, mode: "date" }).notNull(),
  count: integer("count").notNull(),
});
