import { type DatabaseOrTransaction, registrationTokens } from "@redflag/db";
import { desc } from "drizzle-orm";

export async function listRegistrationTokens(db: DatabaseOrTransaction) {
  const now = new Date();
  const rows = await db
    .select({
      id: registrationTokens.id,
      label: registrationTokens.label,
      displayPrefix: registrationTokens.displayPrefix,
      seats: registrationTokens.seats,
      seatsUsed: registrationTokens.seatsUsed,
      expiresAt: registrationTokens.expiresAt,
      revokedAt: registrationTokens.revokedAt,
      createdAt: registrationTokens.createdAt,
    })
    .from(registrationTokens)
    .orderBy(desc(registrationTokens.createdAt));
  return rows.map((row) => ({
    ...row,
    usable: row.revokedAt === null && row.expiresAt > now && row.seatsUsed < row.seats,
  }));
}
