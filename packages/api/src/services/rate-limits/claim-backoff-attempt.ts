import { type DatabaseOrTransaction, rowsOf } from "@redflag/db";
import { type SQL, sql } from "drizzle-orm";
import type { RateLimitRule } from "../../config.ts";

/** Failures are forgotten after a day without one. */
export const failuresRememberedSeconds = 24 * 60 * 60;

export type BackoffClaim = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** The wait after the counter's last failure: none for the first `limit`, then 1 s, 2 s, 4 s, … capped. */
function waitAfter(count: SQL, rule: RateLimitRule): SQL {
  return sql`make_interval(secs => least(power(2, least(${count} - ${rule.limit}, 30)), ${rule.windowSeconds}))`;
}

/**
 * Counts an attempt against `key` as a failure before it is made, unless the key must still wait
 * (see `RateLimitRule`). Counting first means parallel attempts cannot all slip through before the
 * first failure is written; an attempt that succeeds hands its count back (`releaseBackoffAttempt`).
 * A refused attempt is not counted: waiting out the backoff is enough, hammering does not extend it.
 */
export async function claimBackoffAttempt(
  db: DatabaseOrTransaction,
  options: { key: string; rule: RateLimitRule },
): Promise<BackoffClaim> {
  const remembered = sql`make_interval(secs => ${failuresRememberedSeconds})`;
  const claimed = rowsOf<{ count: number }>(
    await db.execute(sql`
      insert into rate_limits as counter (key, window_started_at, count, expires_at)
      values (${options.key}, now(), 1, now() + ${remembered})
      on conflict (key) do update set
        count = case when counter.expires_at <= now() then 1 else counter.count + 1 end,
        window_started_at = now(),
        expires_at = now() + ${remembered}
      where counter.expires_at <= now() or counter.count < ${options.rule.limit}
        or counter.window_started_at + ${waitAfter(sql`counter.count`, options.rule)} <= now()
      returning count`),
  );
  if (claimed.length > 0) return { allowed: true };
  const [waiting] = rowsOf<{ retry_after: number | string | null }>(
    await db.execute(sql`
      select ceil(extract(epoch from (window_started_at + ${waitAfter(sql`count`, options.rule)} - now())))
        as retry_after
      from rate_limits where key = ${options.key}`),
  );
  return { allowed: false, retryAfterSeconds: Math.max(1, Number(waiting?.retry_after ?? 1)) };
}

/**
 * Hands back the count of an attempt that was not a failure: `forget` clears the key's failures
 * altogether (a correct password for that user from that address), otherwise only this attempt's.
 */
export async function releaseBackoffAttempt(
  db: DatabaseOrTransaction,
  options: { key: string; forget: boolean },
): Promise<void> {
  if (options.forget) {
    await db.execute(sql`delete from rate_limits where key = ${options.key}`);
  } else {
    await db.execute(sql`update rate_limits set count = greatest(count - 1, 0) where key = ${options.key}`);
  }
}
