import { randomBytes } from "node:crypto";
import { type DatabaseOrTransaction, settings } from "@redflag/db";
import { eq } from "drizzle-orm";

/** Kept outside the admin-visible settings: `settingKeys` never includes it. */
const secretKey = "internal.serverSecret";

/**
 * The signing secret when REDFLAG_SECRET is unset: generated once and kept in the database, so every
 * server instance sharing the database signs and checks the same tokens.
 */
export async function ensureServerSecret(db: DatabaseOrTransaction): Promise<string> {
  await db
    .insert(settings)
    .values({ key: secretKey, value: randomBytes(32).toString("base64url") })
    .onConflictDoNothing({ target: settings.key });
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, secretKey));
  if (typeof row?.value !== "string")
    throw new Error("The server secret in the settings table is not a string");
  return row.value;
}
