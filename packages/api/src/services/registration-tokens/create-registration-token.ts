import { newId } from "@redflag/contracts";
import { type DatabaseOrTransaction, registrationTokens } from "@redflag/db";
import type { AdminActor } from "../../actor.ts";
import { displayPrefixOf, hashToken, newSecretToken, tokenPrefixes } from "../../auth/tokens.ts";
import { AppError } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";

export async function createRegistrationToken(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; label: string; seats: number; expiresAt: Date },
) {
  if (options.expiresAt <= new Date()) throw new AppError("BAD_REQUEST", "expiresAt must be in the future");
  const token = newSecretToken(tokenPrefixes.registrationToken);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(registrationTokens)
      .values({
        id: newId("registrationToken"),
        label: options.label,
        tokenHash: hashToken(token),
        displayPrefix: displayPrefixOf(token),
        seats: options.seats,
        expiresAt: options.expiresAt,
        createdBy: options.actor.userId,
      })
      .returning({
        id: registrationTokens.id,
        label: registrationTokens.label,
        displayPrefix: registrationTokens.displayPrefix,
        seats: registrationTokens.seats,
        seatsUsed: registrationTokens.seatsUsed,
        expiresAt: registrationTokens.expiresAt,
        createdAt: registrationTokens.createdAt,
      });
    if (!row) throw new AppError("INTERNAL", "Creating the registration token returned no row");
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: "registration_token.create",
          entityType: "registration_token",
          entityId: row.id,
          after: row,
        },
      ],
    });
    return { ...row, token };
  });
}
