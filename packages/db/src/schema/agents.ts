import type { AgentId, Metrics, OsType, RegistrationTokenId } from "@redflag/contracts";
import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { registrationTokens } from "./registration-tokens.ts";

export const agents = pgTable(
  "agents",
  {
    id: text("id").$type<AgentId>().primaryKey(),
    hostname: text("hostname").notNull(),
    osType: text("os_type").$type<OsType>().notNull(),
    osName: text("os_name").notNull(),
    osVersion: text("os_version").notNull(),
    architecture: text("architecture").notNull(),
    agentVersion: text("agent_version").notNull(),
    machineId: text("machine_id").notNull(),
    tags: jsonb("tags").$type<string[]>().notNull().default([]),
    registrationTokenId: text("registration_token_id")
      .$type<RegistrationTokenId>()
      .references(() => registrationTokens.id, { onDelete: "set null" }),
    /** Per-agent poll interval; null follows the server-wide default setting. */
    pollIntervalSeconds: integer("poll_interval_seconds"),
    rapidModeUntil: timestamp("rapid_mode_until", { withTimezone: true, mode: "date" }),
    metrics: jsonb("metrics").$type<Metrics>().notNull().default({}),
    rebootRequired: boolean("reboot_required").notNull().default(false),
    /** Why, as the agent said at its last check-in (package names, Windows' flag). */
    rebootReasons: jsonb("reboot_reasons").$type<string[]>().notNull().default([]),
    lastCheckInAt: timestamp("last_check_in_at", { withTimezone: true, mode: "date" }),
    lastScanAt: timestamp("last_scan_at", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /**
     * Signed into every access token; raising it (a replayed refresh token) refuses the agent's live
     * access tokens at their next call, without a lookup of its own.
     */
    tokenGeneration: integer("token_generation").notNull().default(0),
  },
  (table) => [
    index("agents_hostname_idx").on(table.hostname, table.id),
    index("agents_last_check_in_idx").on(table.lastCheckInAt),
    index("agents_created_at_idx").on(table.createdAt, table.id),
    // The overview lists hosts waiting for a reboot: few rows, so a partial index.
    // Substring search of hostnames and OS names through trigrams.
    index("agents_hostname_trgm_idx").using("gin", table.hostname.op("gin_trgm_ops")),
    index("agents_os_name_trgm_idx").using("gin", table.osName.op("gin_trgm_ops")),
    index("agents_reboot_required_idx").on(table.hostname, table.id).where(sql`${table.rebootRequired}`),
  ],
);
