import type { Role, UserId } from "@redflag/contracts";
import { type DatabaseOrTransaction, sessions, users } from "@redflag/db";
import { and, eq, isNull, ne, sql } from "drizzle-orm";
import type { Actor } from "../../actor.ts";
import { AppError, notFound } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";

/** Changes a user's role or disables them; the last active admin cannot be demoted or disabled. */
export async function updateUser(
  db: DatabaseOrTransaction,
  options: { actor: Actor; userId: UserId; role?: Role; disabled?: boolean },
) {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(7311904553)`);
    const [before] = await tx
      .select({ id: users.id, username: users.username, role: users.role, disabledAt: users.disabledAt })
      .from(users)
      .where(eq(users.id, options.userId));
    if (!before) throw notFound("User", options.userId);
    const losesAdmin =
      before.role === "admin" &&
      before.disabledAt === null &&
      ((options.role !== undefined && options.role !== "admin") || options.disabled === true);
    if (losesAdmin) {
      const [other] = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.role, "admin"), isNull(users.disabledAt), ne(users.id, before.id)))
        .limit(1);
      if (!other) throw new AppError("CONFLICT", "This is the last active admin; make another admin first");
    }
    const [after] = await tx
      .update(users)
      .set({
        role: options.role ?? before.role,
        disabledAt: options.disabled === undefined ? before.disabledAt : options.disabled ? new Date() : null,
      })
      .where(eq(users.id, before.id))
      .returning({ id: users.id, username: users.username, role: users.role, disabledAt: users.disabledAt });
    if (options.disabled) await tx.delete(sessions).where(eq(sessions.userId, before.id));
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [{ action: "user.update", entityType: "user", entityId: before.id, before, after }],
    });
    return after;
  });
}
