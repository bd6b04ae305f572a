import type { ApiTokenId } from "@redflag/contracts";
import { apiTokens, type DatabaseOrTransaction } from "@redflag/db";
import { eq } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { AppError, notFound } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";

/** Revokes a token: its owner may revoke their own, an admin any. Revoking twice is a no-op. */
export async function revokeApiToken(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; tokenId: ApiTokenId },
) {
  return db.transaction(async (tx) => {
    const [token] = await tx.select().from(apiTokens).where(eq(apiTokens.id, options.tokenId)).for("update");
    if (!token) throw notFound("API token", options.tokenId);
    if (token.userId !== options.actor.userId && options.actor.role !== "admin") {
      throw new AppError("FORBIDDEN", "Only an admin can revoke another user's token");
    }
    if (token.revokedAt) return { id: token.id, revokedAt: token.revokedAt };
    const revokedAt = new Date();
    await tx.update(apiTokens).set({ revokedAt }).where(eq(apiTokens.id, token.id));
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        { action: "api_token.revoke", entityType: "api_token", entityId: token.id, after: { revokedAt } },
      ],
    });
    return { id: token.id, revokedAt };
  });
}
