import { type DatabaseOrTransaction, rowsOf } from "@redflag/db";
import { sql } from "drizzle-orm";
import type { RateLimitRule } from "../../config.ts";
import { AppError } from "../../errors.ts";

/**
 * Counts one attempt against `key` in a fixed window, in the database so that every server instance
 * shares the count. Run it outside the transaction of the attempt: a failed attempt still counts.
 */
export async function consumeRateLimit(
  db: DatabaseOrTransaction,
  options: { key: string; rule: RateLimitRule; what: string },
): Promise<void> {
  const { limit, windowSeconds } = options.rule;
  const rows = rowsOf<{ count: number; retry_after: number | string }>(
    await db.execute(sql`
      insert into rate_limits (key, window_started_at, count) values (${options.key}, now(), 1)
      on conflict (key) do update set
        count = case when rate_limits.window_started_at < now() - make_interval(secs => ${windowSeconds})
                     then 1 else rate_limits.count + 1 end,
        window_started_at = case when rate_limits.window_started_at < now() - make_interval(secs => ${windowSeconds})
                     then now() else rate_limits.window_started_at end
      returning count,
        ceil(extract(epoch from (window_started_at + make_interval(secs => ${windowSeconds}) - now()))) as retry_after`),
  );
  const row = rows[0];
  if (row && row.count > limit) {
    throw new AppError(
      "TOO_MANY_REQUESTS",
      `Too many ${options.what} attempts; try again in ${Math.max(1, Number(row.retry_after))} seconds`,
    );
  }
}
