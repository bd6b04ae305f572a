import type { AgentId } from "@redflag/contracts";
import {
  date,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/**
 * One row per agent that has updates: what the reports and the overview read instead of counting a
 * million updates. Kept in step by statement triggers on `updates` (migration 0010), which recompute
 * the rows of the agents a statement touched; `rebuildReportRollups` recomputes all of them.
 * No foreign key: the triggers remove the row when the agent's last update goes (also by cascade).
 */
export const agentUpdateRollups = pgTable("agent_update_rollups", {
  agentId: text("agent_id").$type<AgentId>().primaryKey(),
  pendingCritical: integer("pending_critical").notNull().default(0),
  pendingImportant: integer("pending_important").notNull().default(0),
  pendingModerate: integer("pending_moderate").notNull().default(0),
  pendingLow: integer("pending_low").notNull().default(0),
  pendingUnknown: integer("pending_unknown").notNull().default(0),
  pendingApt: integer("pending_apt").notNull().default(0),
  pendingDnf: integer("pending_dnf").notNull().default(0),
  pendingDocker: integer("pending_docker").notNull().default(0),
  pendingWindowsUpdate: integer("pending_windows_update").notNull().default(0),
  pendingWinget: integer("pending_winget").notNull().default(0),
  pendingSecurity: integer("pending_security").notNull().default(0),
  approved: integer("approved").notNull().default(0),
  /** When the oldest security update still waiting was first seen: compliance is measured from it. */
  oldestSecurityPendingSince: timestamp("oldest_security_pending_since", {
    withTimezone: true,
    mode: "date",
  }),
  /** Updates installed, and the sum of their first seen → installed times (mean time to patch). */
  installed: integer("installed").notNull().default(0),
  patchSeconds: doublePrecision("patch_seconds").notNull().default(0),
});

/**
 * Finished install commands per agent and UTC day, by outcome: success rates over 7/30/90 days and the
 * overview's installs chart. Kept in step by statement triggers on `commands` adding and taking away
 * counts; rows that fall to zero are removed.
 */
export const installOutcomeDays = pgTable(
  "install_outcome_days",
  {
    agentId: text("agent_id").$type<AgentId>().notNull(),
    day: date("day", { mode: "string" }).notNull(),
    succeeded: integer("succeeded").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    timedOut: integer("timed_out").notNull().default(0),
  },
  (table) => [
    primaryKey({ columns: [table.agentId, table.day] }),
    index("install_outcome_days_day_idx").on(table.day),
  ],
);
