import type {
  AgentId,
  CommandId,
  CommandStatus,
  CommandTarget,
  CommandType,
  ItemOutcome,
  UserId,
} from "@redflag/contracts";
import { index, integer, jsonb, pgTable, real, text, timestamp } from "drizzle-orm/pg-core";
import { agents } from "./agents.ts";

export const commands = pgTable(
  "commands",
  {
    id: text("id").$type<CommandId>().primaryKey(),
    agentId: text("agent_id")
      .$type<AgentId>()
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    type: text("type").$type<CommandType>().notNull(),
    status: text("status").$type<CommandStatus>().notNull(),
    targets: jsonb("targets").$type<CommandTarget[]>().notNull().default([]),
    parameters: jsonb("parameters").$type<Record<string, unknown>>().notNull().default({}),
    /** How many times it has been leased to the agent. */
    attempt: integer("attempt").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true, mode: "date" }),
    /**
     * When the agent confirmed it holds the leased command (listed it at a check-in, or reported on it).
     * Until then the lease is short, and running out of it offers the command again without spending
     * an attempt: the answer that carried it may have been lost on the way.
     */
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true, mode: "date" }),
    /** Offers that ran out unacknowledged; past a few, running out spends attempts again. */
    unacknowledgedOffers: integer("unacknowledged_offers").notNull().default(0),
    retryOf: text("retry_of").$type<CommandId>(),
    createdBy: text("created_by").$type<UserId>(),
    progressPercent: real("progress_percent"),
    progressMessage: text("progress_message"),
    exitCode: integer("exit_code"),
    output: text("output"),
    itemOutcomes: jsonb("item_outcomes").$type<ItemOutcome[]>(),
    result: jsonb("result").$type<Record<string, unknown>>(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true, mode: "date" }),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  },
  (table) => [
    index("commands_agent_status_idx").on(table.agentId, table.status, table.createdAt),
    index("commands_status_lease_idx").on(table.status, table.leaseExpiresAt),
    index("commands_created_idx").on(table.createdAt, table.id),
    // Recent failures and installs per day on the dashboard.
    index("commands_finished_idx").on(table.finishedAt),
  ],
);
