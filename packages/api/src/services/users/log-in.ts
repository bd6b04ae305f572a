import { type DatabaseOrTransaction, users } from "@redflag/db";
import { and, eq, isNull } from "drizzle-orm";
import { dummyPasswordHash, verifyPassword } from "../../auth/passwords.ts";
import type { RateLimitRule } from "../../config.ts";
import { AppError } from "../../errors.ts";
import { claimBackoffAttempt, releaseBackoffAttempt } from "../rate-limits/claim-backoff-attempt.ts";

/** Checks a username and password; the same error (and the same work) whether the user exists or not. */
async function checkCredentials(db: DatabaseOrTransaction, options: { username: string; password: string }) {
  const [user] = await db
    .select({ id: users.id, username: users.username, role: users.role, passwordHash: users.passwordHash })
    .from(users)
    .where(and(eq(users.username, options.username), isNull(users.disabledAt)));
  const valid = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), options.password);
  if (!user || !valid) throw new AppError("UNAUTHORIZED", "Wrong username or password");
  return { id: user.id, username: user.username, role: user.role };
}

/**
 * Logs in, slowing guessing down without letting anyone lock the owner out: failures are counted per
 * (username, address) and per address, each with an exponential backoff, never per username alone.
 * A correct password from an address that has not failed is never refused, whatever happens
 * elsewhere. While a backoff runs the password is not even checked, so waiting is the only way on.
 */
export async function logIn(
  db: DatabaseOrTransaction,
  options: {
    username: string;
    password: string;
    address: string;
    rules: { perUserAndAddress: RateLimitRule; perAddress: RateLimitRule };
  },
) {
  // JSON keeps the parts apart whatever they hold (IPv6 addresses have colons; usernames anything).
  const userKey = `login-failures:${JSON.stringify([options.address, options.username.toLowerCase()])}`;
  const addressKey = `login-failures:${JSON.stringify([options.address])}`;
  const userClaim = await claimBackoffAttempt(db, { key: userKey, rule: options.rules.perUserAndAddress });
  if (!userClaim.allowed) throw tooManyFailures(userClaim.retryAfterSeconds);
  const addressClaim = await claimBackoffAttempt(db, { key: addressKey, rule: options.rules.perAddress });
  if (!addressClaim.allowed) {
    await releaseBackoffAttempt(db, { key: userKey, forget: false });
    throw tooManyFailures(addressClaim.retryAfterSeconds);
  }
  // Unknown user and wrong password both keep their counts: the same answer and the same backoff.
  const user = await checkCredentials(db, options);
  await releaseBackoffAttempt(db, { key: userKey, forget: true });
  await releaseBackoffAttempt(db, { key: addressKey, forget: false });
  return user;
}

function tooManyFailures(retryAfterSeconds: number): AppError {
  return new AppError(
    "TOO_MANY_REQUESTS",
    `Too many failed logins from this address; try again in ${retryAfterSeconds} seconds`,
  );
}
