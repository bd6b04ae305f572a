import { DrizzlePostgreSQLAdapter } from "@lucia-auth/adapter-drizzle";
import type { Id, Role, UserId } from "@redflag/contracts";
import { type Database, sessions, users } from "@redflag/db";
import { generateIdFromEntropySize, Lucia, TimeSpan } from "lucia";
import { hashToken } from "./tokens.ts";

/**
 * The only file that knows the session library: swapping lucia (v3 is its last major) touches
 * nothing else.
 *
 * As Lucia's current guidance (its "migrate from v3" and session pages) has it, the cookie holds a
 * random session token and the `sessions` table only its SHA-256 (hex), which is the session's id: a
 * copy of the table lets no one in, and the lookup by hash gives away nothing through its timing.
 * Migration 0006 hashed the ids of the rows written before, so their cookies keep working.
 */
export const sessionCookieName = "rf_session";

export type SessionUser = { id: UserId; username: string; role: Role };
/** `id` is the stored hash of the session token, never the token itself. */
export type AdminSession = { id: string; expiresAt: Date; fresh: boolean };

export type AdminSessions = {
  create: (userId: UserId) => Promise<{ session: AdminSession; cookie: string }>;
  /** Checks the token from the cookie; answers the session, whose id is the token's hash. */
  validate: (
    sessionToken: string,
  ) => Promise<{ session: AdminSession; user: SessionUser; refreshedCookie: string | null } | null>;
  invalidate: (sessionId: string) => Promise<void>;
  invalidateAllOf: (userId: UserId) => Promise<void>;
  /** Deletes the sessions past their expiry (a session nobody signs out of would stay forever). */
  deleteExpired: () => Promise<void>;
  blankCookie: () => string;
  readSessionToken: (cookieHeader: string | null) => string | null;
};

/** The id a session token is stored under. */
export function sessionIdOf(sessionToken: string): string {
  return hashToken(sessionToken);
}

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
      // 200 random bits, base32: what lucia v3 itself generates for a session id.
      const sessionToken = generateIdFromEntropySize(25);
      const session = await lucia.createSession(userId, {}, { sessionId: sessionIdOf(sessionToken) });
      return { session, cookie: lucia.createSessionCookie(sessionToken).serialize() };
    },
    async validate(sessionToken) {
      const { session, user } = await lucia.validateSession(sessionIdOf(sessionToken));
      if (!session || !user) return null;
      if (user.disabledAt) {
        await lucia.invalidateUserSessions(user.id);
        return null;
      }
      return {
        session,
        user: { id: user.id, username: user.username, role: user.role },
        refreshedCookie: session.fresh ? lucia.createSessionCookie(sessionToken).serialize() : null,
      };
    },
    invalidate: (sessionId) => lucia.invalidateSession(sessionId),
    invalidateAllOf: (userId) => lucia.invalidateUserSessions(userId),
    deleteExpired: () => lucia.deleteExpiredSessions(),
    blankCookie: () => lucia.createBlankSessionCookie().serialize(),
    readSessionToken: (cookieHeader) => lucia.readSessionCookie(cookieHeader ?? ""),
  };
}
