import type { AgentId, RefreshTokenId } from "@redflag/contracts";
import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { agents } from "./agents.ts";

/**
 * Refresh tokens rotate on every renew; all tokens descending from one registration share a family,
 * so replaying a used token can revoke every token of its family at once.
 */
export const agentRefreshTokens = pgTable(
  "agent_refresh_tokens",
  {
    id: text("id").$type<RefreshTokenId>().primaryKey(),
    agentId: text("agent_id")
      .$type<AgentId>()
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    familyId: text("family_id").$type<RefreshTokenId>().notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
  },
  (table) => [
    index("agent_refresh_tokens_family_idx").on(table.familyId),
    index("agent_refresh_tokens_agent_idx").on(table.agentId),
  ],
);
