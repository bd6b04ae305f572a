import type { CommandId, CommandLogId } from "@redflag/contracts";
import { index, integer, pgTable, real, text, timestamp } from "drizzle-orm/pg-core";
import { commands } from "./commands.ts";

export const commandLogs = pgTable(
  "command_logs",
  {
    id: text("id").$type<CommandLogId>().primaryKey(),
    commandId: text("command_id")
      .$type<CommandId>()
      .notNull()
      .references(() => commands.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    kind: text("kind").$type<"leased" | "progress" | "result" | "lease_expired" | "cancelled">().notNull(),
    percent: real("percent"),
    message: text("message").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [index("command_logs_command_idx").on(table.commandId, table.createdAt)],
);
