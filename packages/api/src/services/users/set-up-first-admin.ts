import { newId } from "@redflag/contracts";
import { type DatabaseOrTransaction, rowsOf, users } from "@redflag/db";
import { sql } from "drizzle-orm";
import { systemActor } from "../../actor.ts";
import { hashPassword } from "../../auth/passwords.ts";
import { AppError } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";

export async function hasAnyAdmin(db: DatabaseOrTransaction): Promise<boolean> {
  const rows = rowsOf<{ exists: boolean }>(
    await db.execute(sql`select exists (select 1 from users where role = 'admin') as "exists"`),
  );
  return rows[0]?.exists === true;
}

/**
 * Creates the first admin; refused once any admin exists. The check and the insert share a
 * transaction holding a lock, so two concurrent setups cannot both succeed.
 */
export async function setUpFirstAdmin(
  db: DatabaseOrTransaction,
  options: { username: string; password: string },
) {
  const passwordHash = await hashPassword(options.password);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(7311904553)`);
    if (await hasAnyAdmin(tx)) {
      throw new AppError("FORBIDDEN", "Setup is finished: an admin already exists. Log in instead.");
    }
    const [user] = await tx
      .insert(users)
      .values({ id: newId("user"), username: options.username, passwordHash, role: "admin" })
      .returning({ id: users.id, username: users.username, role: users.role });
    if (!user) throw new AppError("INTERNAL", "Creating the admin returned no row");
    await recordAuditEvents(tx, {
      actor: systemActor,
      entries: [{ action: "user.setup", entityType: "user", entityId: user.id, after: user }],
    });
    return user;
  });
}
