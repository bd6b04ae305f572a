import { newId, type Role } from "@redflag/contracts";
import { type DatabaseOrTransaction, users } from "@redflag/db";
import { eq } from "drizzle-orm";
import type { Actor } from "../../actor.ts";
import { hashPassword } from "../../auth/passwords.ts";
import { AppError } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";

export async function createUser(
  db: DatabaseOrTransaction,
  options: { actor: Actor; username: string; password: string; role: Role },
) {
  const passwordHash = await hashPassword(options.password);
  return db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: users.id })
      .from(users)
      .where(eq(users.username, options.username));
    if (existing) throw new AppError("CONFLICT", `The username ${options.username} is taken`);
    const [user] = await tx
      .insert(users)
      .values({ id: newId("user"), username: options.username, passwordHash, role: options.role })
      .returning({ id: users.id, username: users.username, role: users.role, createdAt: users.createdAt });
    if (!user) throw new AppError("INTERNAL", "Creating the user returned no row");
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [{ action: "user.create", entityType: "user", entityId: user.id, after: user }],
    });
    return user;
  });
}
