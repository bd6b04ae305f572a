import { type DatabaseOrTransaction, rateLimits } from "@redflag/db";
import { lte, sql } from "drizzle-orm";

/** Deletes counters whose window or remembered failures have run out; answers how many. */
export async function deleteExpiredRateLimits(db: DatabaseOrTransaction): Promise<number> {
  const deleted = await db
    .delete(rateLimits)
    .where(lte(rateLimits.expiresAt, sql`now()`))
    .returning({ key: rateLimits.key });
  return deleted.length;
}
