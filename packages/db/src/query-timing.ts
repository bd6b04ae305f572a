import { PgPreparedQuery } from "drizzle-orm/pg-core";

/** One statement the database answered (or refused), with how long it took. */
export type TimedQuery = { sql: string; parameterCount: number; durationMs: number; failed: boolean };
export type QueryObserver = (query: TimedQuery) => void;

const patched = Symbol.for("redflag.queryTiming");
const store = globalThis as typeof globalThis & { [patched]?: { observer: QueryObserver | null } };

/**
 * Times every statement Drizzle sends, on either driver, and tells `observer` (the server's debug
 * log); null stops it. Every query of both drivers goes through `PgPreparedQuery.queryWithCache`, so
 * that one method is wrapped, once per process; while no one observes, the wrapper costs one check.
 */
export function observeQueries(observer: QueryObserver | null): void {
  if (!store[patched]) {
    const state: { observer: QueryObserver | null } = { observer: null };
    store[patched] = state;
    type QueryWithCache = (
      this: unknown,
      sql: string,
      params: unknown[],
      run: () => Promise<unknown>,
    ) => Promise<unknown>;
    const prototype = PgPreparedQuery.prototype as unknown as { queryWithCache: QueryWithCache };
    const original = prototype.queryWithCache;
    prototype.queryWithCache = async function timedQueryWithCache(sql, params, run) {
      const observe = state.observer;
      if (!observe) return original.call(this, sql, params, run);
      const started = performance.now();
      let failed = false;
      try {
        return await original.call(this, sql, params, run);
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        const timed = { sql, parameterCount: params.length, durationMs: performance.now() - started, failed };
        try {
          observe(timed);
        } catch {
          // A log that cannot be written never fails the query.
        }
      }
    };
  }
  const state = store[patched];
  if (state) state.observer = observer;
}
