import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * One row per scheduled job of the server (policies, windows, rollouts, notifications, digest). An
 * instance runs a job only after claiming its row (`FOR UPDATE SKIP LOCKED`, then a lease), so when
 * several instances share one database each run happens once; the next run time survives restarts.
 */
export const schedulerJobs = pgTable("scheduler_jobs", {
  name: text("name").primaryKey(),
  nextRunAt: timestamp("next_run_at", { withTimezone: true, mode: "date" }).notNull(),
  /** Which instance holds the job, until when; a crashed holder's lease runs out and another takes it. */
  lockedBy: text("locked_by"),
  lockedUntil: timestamp("locked_until", { withTimezone: true, mode: "date" }),
  lastStartedAt: timestamp("last_started_at", { withTimezone: true, mode: "date" }),
  lastFinishedAt: timestamp("last_finished_at", { withTimezone: true, mode: "date" }),
  lastError: text("last_error"),
  runs: integer("runs").notNull().default(0),
});
