import type { PackageType, Severity, UpdateStatus } from "@redflag/contracts";
import { bigint, boolean, index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { agents } from "./agents.ts";

/** The current state of one pending (or dealt-with) update of one package on one agent. */
export const updates = pgTable(
  "updates",
  {
    id: text("id").primaryKey(),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    packageType: text("package_type").$type<PackageType>().notNull(),
    packageName: text("package_name").notNull(),
    /** What distinguishes two updates of one package name: an architecture, a container, … ("" if none). */
    target: text("target").notNull().default(""),
    currentVersion: text("current_version"),
    availableVersion: text("available_version").notNull(),
    severity: text("severity").$type<Severity>().notNull(),
    security: boolean("security").notNull(),
    cves: jsonb("cves").$type<string[]>().notNull().default([]),
    source: text("source"),
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    status: text("status").$type<UpdateStatus>().notNull(),
    installedVersion: text("installed_version"),
    lastCommandId: text("last_command_id"),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    statusChangedAt: timestamp("status_changed_at", { withTimezone: true, mode: "date" })
      .notNull()
      .defaultNow(),
  },
  (table) => [
    uniqueIndex("updates_agent_package_uq").on(
      table.agentId,
      table.packageType,
      table.packageName,
      table.target,
    ),
    index("updates_agent_status_idx").on(table.agentId, table.status),
    index("updates_status_severity_idx").on(table.status, table.severity, table.id),
    index("updates_status_type_idx").on(table.status, table.packageType, table.id),
    index("updates_status_security_idx").on(table.status, table.security, table.id),
  ],
);
