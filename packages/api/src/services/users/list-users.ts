import { type DatabaseOrTransaction, users } from "@redflag/db";
import { asc } from "drizzle-orm";

export function listUsers(db: DatabaseOrTransaction) {
  return db
    .select({
      id: users.id,
      username: users.username,
      role: users.role,
      createdAt: users.createdAt,
      disabledAt: users.disabledAt,
    })
    .from(users)
    .orderBy(asc(users.username));
}
