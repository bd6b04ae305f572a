import type {
  AgentId,
  CommandId,
  MaintenanceWindowId,
  PackageType,
  PolicyAction,
  PolicyId,
  RebootPolicy,
  RolloutId,
  RolloutStatus,
  Severity,
  WindowRunId,
  WindowRunStatus,
} from "@redflag/contracts";
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { agents } from "./agents.ts";

/** One stage of a staged rollout: the agents carrying any of `tags` (none: every agent left), then a soak. */
export type RolloutStage = { tags: string[]; soakMinutes: number };

/**
 * A rule matching updates. An `approve` policy approves what it matches (in stages when it has them);
 * a `hold` policy is an exclusion: what it matches is shown as held and never approved automatically.
 * Every list filter that is empty matches everything.
 */
export const policies = pgTable("policies", {
  id: text("id").$type<PolicyId>().primaryKey(),
  name: text("name").notNull(),
  enabled: boolean("enabled").notNull().default(true),
  action: text("action").$type<PolicyAction>().notNull(),
  packageTypes: jsonb("package_types").$type<PackageType[]>().notNull().default([]),
  severities: jsonb("severities").$type<Severity[]>().notNull().default([]),
  securityOnly: boolean("security_only").notNull().default(false),
  /** Glob patterns of package names (`linux-image-*`). */
  packagePatterns: jsonb("package_patterns").$type<string[]>().notNull().default([]),
  excludePatterns: jsonb("exclude_patterns").$type<string[]>().notNull().default([]),
  tags: jsonb("tags").$type<string[]>().notNull().default([]),
  agentIds: jsonb("agent_ids").$type<AgentId[]>().notNull().default([]),
  /** Soak time: an update is matched only this long after it was first seen. */
  minAgeHours: integer("min_age_hours").notNull().default(0),
  stages: jsonb("stages").$type<RolloutStage[]>().notNull().default([]),
  lastRunAt: timestamp("last_run_at", { withTimezone: true, mode: "date" }),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/** One package version moving through an approve policy's stages. */
export const rollouts = pgTable(
  "rollouts",
  {
    id: text("id").$type<RolloutId>().primaryKey(),
    policyId: text("policy_id")
      .$type<PolicyId>()
      .notNull()
      .references(() => policies.id, { onDelete: "cascade" }),
    packageType: text("package_type").$type<PackageType>().notNull(),
    packageName: text("package_name").notNull(),
    availableVersion: text("available_version").notNull(),
    /** Index into the policy's stages of the stage being approved now. */
    stage: integer("stage").notNull().default(0),
    stageStartedAt: timestamp("stage_started_at", { withTimezone: true, mode: "date" })
      .notNull()
      .defaultNow(),
    status: text("status").$type<RolloutStatus>().notNull(),
    stoppedReason: text("stopped_reason"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("rollouts_package_uq").on(
      table.policyId,
      table.packageType,
      table.packageName,
      table.availableVersion,
    ),
    index("rollouts_status_idx").on(table.status),
  ],
);

/**
 * A recurring maintenance window for the agents carrying any of `tags` or listed in `agentIds` (both
 * empty: every agent). Approved updates of those agents are installed only inside it.
 */
export const maintenanceWindows = pgTable("maintenance_windows", {
  id: text("id").$type<MaintenanceWindowId>().primaryKey(),
  name: text("name").notNull(),
  enabled: boolean("enabled").notNull().default(true),
  /** Five-field cron expression of when the window opens, read in `timeZone` (IANA name). */
  schedule: text("schedule").notNull(),
  timeZone: text("time_zone").notNull(),
  durationMinutes: integer("duration_minutes").notNull(),
  tags: jsonb("tags").$type<string[]>().notNull().default([]),
  agentIds: jsonb("agent_ids").$type<AgentId[]>().notNull().default([]),
  installApproved: boolean("install_approved").notNull().default(true),
  scan: boolean("scan").notNull().default(false),
  reboot: text("reboot").$type<RebootPolicy>().notNull().default("if_required"),
  /** At most this many of the window's hosts reboot at once. */
  maxConcurrentReboots: integer("max_concurrent_reboots").notNull().default(1),
  /** A host away through the window catches up this long after it returns; 0: at its next window. */
  catchUpGraceMinutes: integer("catch_up_grace_minutes").notNull().default(0),
  /** This long before each opening, the approved apt updates of its hosts are downloaded (not installed); 0: off. */
  preDownloadMinutes: integer("pre_download_minutes").notNull().default(60),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/** One agent in one occurrence of a window: what was done for it, so nothing is skipped silently or done twice. */
export const windowRuns = pgTable(
  "window_runs",
  {
    id: text("id").$type<WindowRunId>().primaryKey(),
    windowId: text("window_id")
      .$type<MaintenanceWindowId>()
      .notNull()
      .references(() => maintenanceWindows.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .$type<AgentId>()
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    opensAt: timestamp("opens_at", { withTimezone: true, mode: "date" }).notNull(),
    closesAt: timestamp("closes_at", { withTimezone: true, mode: "date" }).notNull(),
    status: text("status").$type<WindowRunStatus>().notNull(),
    /** Set when the host was away through the window and caught up after it returned. */
    caughtUpAt: timestamp("caught_up_at", { withTimezone: true, mode: "date" }),
    scanCommandId: text("scan_command_id").$type<CommandId>(),
    installCommandId: text("install_command_id").$type<CommandId>(),
    rebootCommandId: text("reboot_command_id").$type<CommandId>(),
    detail: text("detail"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("window_runs_occurrence_uq").on(table.windowId, table.agentId, table.opensAt),
    index("window_runs_status_idx").on(table.status, table.windowId),
    index("window_runs_agent_idx").on(table.agentId, table.opensAt),
  ],
);
