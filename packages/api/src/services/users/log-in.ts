import { type DatabaseOrTransaction, users } from "@redflag/db";
import { and, eq, isNull } from "drizzle-orm";
import { dummyPasswordHash, verifyPassword } from "../../auth/passwords.ts";
import { AppError } from "../../errors.ts";

/** Checks a username and password; the same error (and the same work) whether the user exists or not. */
export async function checkCredentials(
  db: DatabaseOrTransaction,
  options: { username: string; password: string },
) {
  const [user] = await db
    .select({ id: users.id, username: users.username, role: users.role, passwordHash: users.passwordHash })
    .from(users)
    .where(and(eq(users.username, options.username), isNull(users.disabledAt)));
  const valid = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), options.password);
  if (!user || !valid) throw new AppError("UNAUTHORIZED", "Wrong username or password");
  return { id: user.id, username: user.username, role: user.role };
}
