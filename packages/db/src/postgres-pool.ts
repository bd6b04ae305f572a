import type { Options } from "postgres";

/**
 * How the server's postgres.js pool meets a database that goes away (a restart, a crash, a failover)
 * and comes back. Measured by test/database-outage.test.ts against a real cluster restarted with
 * `pg_ctl -m immediate` and stopped for seconds under load: only 503s meanwhile, none slow, and
 * success again right after.
 *
 * - A query on a connection that dies under it fails at once with CONNECTION_CLOSED (the socket
 *   closes); a connection that died while idle is dropped when its socket closes and opened anew for
 *   the next query. The server never retries a query by itself: a write may have been applied, and
 *   the agents retry on the 503 they get (errors.ts maps every such failure to it).
 * - Connections are opened only for waiting queries, so the delay between attempts is no busy loop
 *   but what a queued request waits: postgres.js's default grows to 20 s after a few failures, which
 *   left requests hanging 10–60 s while the database was down and for half a minute after it was back.
 *   Here it grows from 20 ms to at most 100 ms.
 */
export function postgresPoolOptions(maxConnections: number): Options<Record<string, never>> {
  return {
    max: maxConnections,
    // An attempt that gets no answer fails after 3 s instead of 30: a host gone from the network (no
    // RST), or a PostgreSQL that accepted the connection while starting and answers only once ready.
    connect_timeout: 3,
    backoff: (failures: number) => Math.min(0.01 * 2 ** failures, 0.1),
    // Idle connections are closed after a minute: fewer held on a server several instances share.
    idle_timeout: 60,
    // max_lifetime is left at postgres.js's default, 30 to 60 minutes drawn per connection, so the
    // pool's connections are not all replaced at once.
    onnotice: () => {},
    connection: { application_name: "redflag" },
  };
}

/** How long `ping` (the health check) waits for the database before calling it unreachable. */
export const pingTimeoutMs = 3_000;

/** The database did not answer within a bound; a code errors.ts reads as "unavailable". */
export class DatabaseTimeoutError extends Error {
  readonly code = "DATABASE_TIMEOUT";
  constructor(what: string, timeoutMs: number) {
    super(`The database did not answer ${what} within ${timeoutMs} ms`);
    this.name = "DatabaseTimeoutError";
  }
}

/** `work`, or a DatabaseTimeoutError once `timeoutMs` have passed (the work itself is left to finish). */
export async function withinTime<T>(work: Promise<T>, what: string, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(what, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
