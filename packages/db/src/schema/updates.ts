import type {
  AgentId,
  CommandId,
  PackageType,
  PolicyId,
  Severity,
  UpdateId,
  UpdateStatus,
} from "@redflag/contracts";
import { type SQL, sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  index,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { agents } from "./agents.ts";
import { policies } from "./automation.ts";

/** Severities from most to least urgent as 0…4: what "sort by severity" means (an indexed expression). */
export function severityRank(severity: AnyPgColumn | SQL) {
  return sql<number>`(case ${severity} when 'critical' then 0 when 'important' then 1 when 'moderate' then 2 when 'low' then 3 else 4 end)`;
}

/** The current state of one pending (or dealt-with) update of one package on one agent. */
export const updates = pgTable(
  "updates",
  {
    id: text("id").$type<UpdateId>().primaryKey(),
    agentId: text("agent_id")
      .$type<AgentId>()
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
    lastCommandId: text("last_command_id").$type<CommandId>(),
    /**
     * The version a pre-download (a `download` command before a maintenance window) left in the host's
     * package cache, and when; the update is "downloaded" while this is still its available version.
     */
    downloadedVersion: text("downloaded_version"),
    downloadedAt: timestamp("downloaded_at", { withTimezone: true, mode: "date" }),
    /** The host itself holds the package back (`apt-mark hold`, `dnf versionlock`), as its agent reported. */
    hostHeld: boolean("host_held").notNull().default(false),
    /** The hold policy matching this update, kept by the policy run: shown as held, never approved automatically. */
    heldByPolicyId: text("held_by_policy_id")
      .$type<PolicyId>()
      .references(() => policies.id, { onDelete: "set null" }),
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
    // The dashboard's sort orders, so a page of a million updates is read in order, not sorted.
    index("updates_package_name_idx").on(table.packageName, table.id),
    index("updates_first_seen_idx").on(table.firstSeenAt, table.id),
    index("updates_severity_rank_idx").on(severityRank(table.severity), table.id),
    // Substring search (ILIKE '%…%') through trigrams.
    // Deleting a hold policy sets its updates free; few updates are held, so a partial index.
    index("updates_held_by_policy_idx")
      .on(table.heldByPolicyId)
      .where(sql`${table.heldByPolicyId} is not null`),
    index("updates_package_name_trgm_idx").using("gin", table.packageName.op("gin_trgm_ops")),
  ],
);
