import { apiTokens, type DatabaseOrTransaction, users } from "@redflag/db";
import { desc, eq } from "drizzle-orm";

export function listApiTokens(db: DatabaseOrTransaction) {
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      role: apiTokens.role,
      displayPrefix: apiTokens.displayPrefix,
      owner: users.username,
      createdAt: apiTokens.createdAt,
      expiresAt: apiTokens.expiresAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .orderBy(desc(apiTokens.createdAt));
}
