import { DrizzlePostgreSQLAdapter } from "@lucia-auth/adapter-drizzle";
import type { Id, Role, UserId } from "@redflag/contracts";
import { type Database, sessions, users } from "@redflag/db";
import { Lucia, TimeSpan } from "lucia";

/**
 * The only file that knows the session library: swapping lucia (v3 is its last major) touches
 * nothing else.
 */
export const sessionCookieName = "rf_session";

export type SessionUser = { id: UserId; username: string; role: Role };
export type AdminSession = { id: string; expiresAt: Date; fresh: boolean };

export type AdminSessions = {
  create: (userId: UserId) => Promise<{ session: AdminSession; cookie: string }>;
  validate: (
    sessionId: string,
  ) => Promise<{ session: AdminSession; user: SessionUser; refreshedCookie: string | null } | null>;
  invalidate: (sessionId: string) => Promise<void>;
  invalidateAllOf: (userId: UserId) => Promise<void>;
  blankCookie: () => string;
  readSessionId: (cookieHeader: string | null) => string | null;
};

function makeLucia(db: Database, secure: boolean) {
  const adapter = new DrizzlePostgreSQLAdapter(db, sessions, users);
  return new Lucia(adapter, {
    sessionExpiresIn: new TimeSpan(30, "d"),
    sessionCookie: { name: sessionCookieName, expires: true, attributes: { secure, sameSite: "lax" } },
    getUserAttributes: (attributes) => ({
      username: attributes.username,
      role: attributes.role,
      disabledAt: attributes.disabledAt,
    }),
  });
}

declare module "lucia" {
  interface Register {
    Lucia: ReturnType<typeof makeLucia>;
    // Written as Id<"user">: inside this block `UserId` names lucia's own type.
    UserId: Id<"user">;
    DatabaseUserAttributes: { username: string; role: Role; disabledAt: Date | null };
  }
}

/** `secure` marks cookies Secure, for a server reached over TLS. */
export function createAdminSessions(db: Database, options: { secure: boolean }): AdminSessions {
  const lucia = makeLucia(db, options.secure);
  return {
    async create(userId) {
      const session = await lucia.createSession(userId, {});
      return { session, cookie: lucia.createSessionCookie(session.id).serialize() };
    },
    async validate(sessionId) {
      const { session, user } = await lucia.validateSession(sessionId);
      if (!session || !user) return null;
      if (user.disabledAt) {
        await lucia.invalidateUserSessions(user.id);
        return null;
      }
      return {
        session,
        user: { id: user.id, username: user.username, role: user.role },
        refreshedCookie: session.fresh ? lucia.createSessionCookie(session.id).serialize() : null,
      };
    },
    invalidate: (sessionId) => lucia.invalidateSession(sessionId),
    invalidateAllOf: (userId) => lucia.invalidateUserSessions(userId),
    blankCookie: () => lucia.createBlankSessionCookie().serialize(),
    readSessionId: (cookieHeader) => lucia.readSessionCookie(cookieHeader ?? ""),
  };
}
