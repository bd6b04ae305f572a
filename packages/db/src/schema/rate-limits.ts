import { index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Attempt counters, in the database so that every server instance shares them. A fixed window counts
 * every attempt from its start; a backoff counter counts failures and measures the next wait from the
 * last one. Rows past `expires_at` mean nothing and are deleted by the server's sweep.
 */
export const rateLimits = pgTable(
  "rate_limits",
  {
    key: text("key").primaryKey(),
    /** A fixed window's start; for a backoff counter, the last counted attempt. */
    windowStartedAt: timestamp("window_started_at", { withTimezone: true, mode: "date" }).notNull(),
    count: integer("count").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (table) => [index("rate_limits_expires_at_idx").on(table.expiresAt)],
);
