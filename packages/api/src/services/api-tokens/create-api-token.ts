import { hasRole, newId, type Role } from "@redflag/contracts";
import { apiTokens, type DatabaseOrTransaction } from "@redflag/db";
import type { AdminActor } from "../../actor.ts";
import { displayPrefixOf, hashToken, newSecretToken, tokenPrefixes } from "../../auth/tokens.ts";
import { AppError } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";

/** Creates an API token for the caller; the token is returned this once and stored only hashed. */
export async function createApiToken(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; name: string; role: Role; expiresAt: Date | null },
) {
  if (!hasRole(options.actor.role, options.role)) {
    throw new AppError(
      "FORBIDDEN",
      `You cannot create a token with more rights (${options.role}) than yours`,
    );
  }
  const token = newSecretToken(tokenPrefixes.apiToken);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiTokens)
      .values({
        id: newId("apiToken"),
        userId: options.actor.userId,
        name: options.name,
        tokenHash: hashToken(token),
        displayPrefix: displayPrefixOf(token),
        role: options.role,
        expiresAt: options.expiresAt,
      })
      .returning({
        id: apiTokens.id,
        name: apiTokens.name,
        role: apiTokens.role,
        displayPrefix: apiTokens.displayPrefix,
        createdAt: apiTokens.createdAt,
        expiresAt: apiTokens.expiresAt,
      });
    if (!row) throw new AppError("INTERNAL", "Creating the API token returned no row");
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [{ action: "api_token.create", entityType: "api_token", entityId: row.id, after: row }],
    });
    return { ...row, token };
  });
}
