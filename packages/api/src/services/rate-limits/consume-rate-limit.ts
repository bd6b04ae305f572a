import { type DatabaseOrTransaction, rowsOf } from "@redflag/db";
import { sql } from "drizzle-orm";
import type { RateLimitRule } from "../../config.ts";
import { AppError } from "../../errors.ts";

/**
 * Counts one attempt against `key` in a fixed window, in the database so that every server instance
 * shares the count. Run it outside the transaction of the attempt: a failed attempt still counts.
 * Key it only by what the caller cannot choose to hurt someone else with (its address).
 */
export async function consumeRateLimit(
  db: DatabaseOrTransaction,
  options: { key: string; rule: RateLimitRule; what: string },
): Promise<void> {
  const { limit, windowSeconds } = options.rule;
  const window = sql`make_interval(secs => ${windowSeconds})`;
  const rows = rowsOf<{ count: number; retry_after: number | string }>(
    await db.execute(sql`
      insert into rate_limits as counter (key, window_started_at, count, expires_at)
      values (${options.key}, now(), 1, now() + ${window})
      on conflict (key) do update set
        count = case when counter.expires_at <= now() then 1 else counter.count + 1 end,
        window_started_at = case when counter.expires_at <= now() then now() else counter.window_started_at end,
        expires_at = case when counter.expires_at <= now() then now() + ${window} else counter.expires_at end
      returning count, ceil(extract(epoch from (expires_at - now()))) as retry_after`),
  );
  const row = rows[0];
  if (row && row.count > limit) {
    throw new AppError(
      "TOO_MANY_REQUESTS",
      `Too many ${options.what} attempts; try again in ${Math.max(1, Number(row.retry_after))} seconds`,
    );
  }
}
