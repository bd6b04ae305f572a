import type { RegistrationTokenId } from "@redflag/contracts";
import { type DatabaseOrTransaction, registrationTokens } from "@redflag/db";
import { eq } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { notFound } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";

export async function revokeRegistrationToken(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; tokenId: RegistrationTokenId },
) {
  return db.transaction(async (tx) => {
    const [token] = await tx
      .select({ id: registrationTokens.id, revokedAt: registrationTokens.revokedAt })
      .from(registrationTokens)
      .where(eq(registrationTokens.id, options.tokenId))
      .for("update");
    if (!token) throw notFound("Registration token", options.tokenId);
    if (token.revokedAt) return token;
    const revokedAt = new Date();
    await tx.update(registrationTokens).set({ revokedAt }).where(eq(registrationTokens.id, token.id));
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: "registration_token.revoke",
          entityType: "registration_token",
          entityId: token.id,
          after: { revokedAt },
        },
      ],
    });
    return { id: token.id, revokedAt };
  });
}
