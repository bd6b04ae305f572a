import type { AgentId, ScanId, ScannerSummary } from "@redflag/contracts";
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { agents } from "./agents.ts";

export type ScanScannerSummary = ScannerSummary;

export const scans = pgTable(
  "scans",
  {
    id: text("id").$type<ScanId>().primaryKey(),
    agentId: text("agent_id")
      .$type<AgentId>()
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    scanners: jsonb("scanners").$type<ScanScannerSummary[]>().notNull(),
    opened: integer("opened").notNull(),
    changed: integer("changed").notNull(),
    closed: integer("closed").notNull(),
    unchanged: integer("unchanged").notNull().default(0),
    /** The agent's id for this report, so a redelivered report is recognised. */
    reportId: text("report_id"),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }).notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [
    index("scans_agent_received_idx").on(table.agentId, table.receivedAt),
    // Recent scanner errors on the server health page.
    index("scans_received_idx").on(table.receivedAt),
    uniqueIndex("scans_agent_report_uq").on(table.agentId, table.reportId),
  ],
);
