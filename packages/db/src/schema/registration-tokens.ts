import type { RegistrationTokenId, UserId } from "@redflag/contracts";
import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { users } from "./users.ts";

export const registrationTokens = pgTable("registration_tokens", {
  id: text("id").$type<RegistrationTokenId>().primaryKey(),
  label: text("label").notNull(),
  tokenHash: text("token_hash").notNull().unique(),
  displayPrefix: text("display_prefix").notNull(),
  seats: integer("seats").notNull(),
  seatsUsed: integer("seats_used").notNull().default(0),
  expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
  createdBy: text("created_by")
    .$type<UserId>()
    .references(() => users.id, { onDelete: "set null" }),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});
