import { timingSafeEqual } from "node:crypto";
import { type DatabaseOrTransaction, settings } from "@redflag/db";
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { AdminActor } from "../actor.ts";
import { displayPrefixOf, hashToken, newSecretToken } from "../auth/tokens.ts";
import { recordAuditEvents } from "../services/audit/record-audit-events.ts";

/**
 * Kept outside the admin-visible settings (`settingKeys` never includes it), in the database so every
 * server instance sharing it accepts the same token. Only the token's hash is stored.
 */
export const metricsTokenKey = "internal.metricsToken";

export const metricsTokenPrefix = "rf_met_";

const storedSchema = z.object({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  displayPrefix: z.string(),
  createdAt: z.coerce.date(),
});

export type MetricsTokenState = { displayPrefix: string; createdAt: Date } | null;

async function readStored(db: DatabaseOrTransaction) {
  const [row] = await db
    .select({ value: settings.value })
    .from(settings)
    .where(eq(settings.key, metricsTokenKey));
  if (!row) return null;
  const parsed = storedSchema.safeParse(row.value);
  // A value that does not parse (hand-edited) accepts no token: the admin makes a new one.
  return parsed.success ? parsed.data : null;
}

/** Whether a metrics token exists, as the settings page shows it (never the token or its hash). */
export async function getMetricsToken(db: DatabaseOrTransaction): Promise<MetricsTokenState> {
  const stored = await readStored(db);
  return stored ? { displayPrefix: stored.displayPrefix, createdAt: stored.createdAt } : null;
}

/** Makes the metrics token, replacing any earlier one; returned this once, stored only hashed. */
export async function createMetricsToken(db: DatabaseOrTransaction, options: { actor: AdminActor }) {
  const token = newSecretToken(metricsTokenPrefix);
  const stored = { hash: hashToken(token), displayPrefix: displayPrefixOf(token), createdAt: new Date() };
  return db.transaction(async (tx) => {
    const before = await readStored(tx);
    await tx
      .insert(settings)
      .values({ key: metricsTokenKey, value: stored, updatedBy: options.actor.userId })
      .onConflictDoUpdate({
        target: settings.key,
        set: { value: stored, updatedAt: stored.createdAt, updatedBy: options.actor.userId },
      });
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: before ? "metrics_token.regenerate" : "metrics_token.create",
          entityType: "metrics_token",
          entityId: metricsTokenKey,
          before: before ? { displayPrefix: before.displayPrefix } : null,
          after: { displayPrefix: stored.displayPrefix },
        },
      ],
    });
    return { token, displayPrefix: stored.displayPrefix, createdAt: stored.createdAt };
  });
}

/** Deletes the metrics token: /metrics refuses every scrape until a new one is made. */
export async function revokeMetricsToken(db: DatabaseOrTransaction, options: { actor: AdminActor }) {
  return db.transaction(async (tx) => {
    const before = await readStored(tx);
    if (!before) return { revoked: false };
    await tx.delete(settings).where(eq(settings.key, metricsTokenKey));
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: "metrics_token.revoke",
          entityType: "metrics_token",
          entityId: metricsTokenKey,
          before: { displayPrefix: before.displayPrefix },
        },
      ],
    });
    return { revoked: true };
  });
}

/** Whether `presented` is the metrics token: its hash compared with the stored one in constant time. */
export async function isMetricsToken(db: DatabaseOrTransaction, presented: string): Promise<boolean> {
  const stored = await readStored(db);
  if (!stored) return false;
  const expected = Buffer.from(stored.hash, "hex");
  const given = Buffer.from(hashToken(presented), "hex");
  return expected.length === given.length && timingSafeEqual(expected, given);
}
