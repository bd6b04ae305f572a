import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { lockDataDirectory } from "./data-dir-lock.ts";
import { DurableNodeFS, durableStartParams, type LastShutdown, readLastShutdown } from "./durable-node-fs.ts";
import { listenResiliently } from "./postgres-listener.ts";
import { pingTimeoutMs, postgresPoolOptions, withinTime } from "./postgres-pool.ts";
import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
/** What every service takes: the database itself or a transaction already under way. */
export type DatabaseOrTransaction = Database | Transaction;
export type DatabaseDriver = "postgres" | "pglite";

/**
 * Extensions the migrations create (pg_trgm: substring search served by an index). Pass these to a
 * PGlite created outside `createDatabase`; PostgreSQL ships them in its contrib modules.
 */
export const pgliteExtensions = { pg_trgm };

export type DatabaseHandle = {
  db: Database;
  driver: DatabaseDriver;
  /** Round trip of `select 1` in milliseconds; throws when the database cannot be reached or is slower than `pingTimeoutMs`. */
  ping: () => Promise<number>;
  close: () => Promise<void>;
  /**
   * Subscribes to NOTIFY on `channel` (a plain identifier). `onNotify` gets each payload; `onListen`
   * runs each time the subscription is (re)established — after a lost connection, notifications sent
   * meanwhile are gone, so a subscriber re-checks what it waits for. Resolves to the unsubscribe.
   */
  listen: (
    channel: string,
    onNotify: (payload: string) => void,
    onListen?: () => void,
  ) => Promise<() => Promise<void>>;
  /**
   * Embedded database in a data directory only: how its previous user left it. "crash" means
   * PostgreSQL replays its write-ahead log at this start (kill -9, power loss, no clean close).
   */
  lastShutdown?: LastShutdown;
};

export type DatabaseOptions =
  | { driver: "postgres"; url: string; maxConnections?: number }
  | {
      driver: "pglite";
      dataDir: string;
      /** Commits return once on disk (fsync); default true. False: faster, but a power loss may drop recent commits. */
      durableCommits?: boolean;
      /** PGlite's debug level and a reader of Postgres's log lines, e.g. to see recovery at start. */
      debug?: { level: 1 | 2 | 3 | 4 | 5; onLog: (line: string) => void };
    }
  | { driver: "pglite"; instance: PGlite };

export async function createDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.driver === "postgres") {
    const client = postgres(options.url, postgresPoolOptions(options.maxConnections ?? 10));
    const db = drizzlePostgres({ client, schema }) as unknown as Database;
    return {
      db,
      driver: "postgres",
      ping: () => timeSelectOne(db),
      close: () => client.end({ timeout: 5 }),
      listen: (channel, onNotify, onListen) => listenResiliently(options.url, channel, onNotify, onListen),
    };
  }
  if ("instance" in options) {
    const client = options.instance;
    await client.waitReady;
    const db = drizzlePglite({ client, schema }) as unknown as Database;
    return {
      db,
      driver: "pglite",
      ping: () => timeSelectOne(db),
      close: () => client.close(),
      listen: (channel, onNotify, onListen) => listenPglite(client, channel, onNotify, onListen),
    };
  }
  return openDataDirectory(options);
}

/** PGlite on a data directory: held by this process alone (lock file) until `close`. */
async function openDataDirectory(
  options: Extract<DatabaseOptions, { dataDir: string }>,
): Promise<DatabaseHandle> {
  const lock = lockDataDirectory(options.dataDir);
  let client: PGlite | undefined;
  try {
    const lastShutdown = readLastShutdown(options.dataDir);
    const durable = options.durableCommits ?? true;
    const onLog = options.debug?.onLog;
    client = new PGlite({
      dataDir: options.dataDir,
      extensions: pgliteExtensions,
      ...(durable ? { fs: new DurableNodeFS(options.dataDir), startParams: durableStartParams } : {}),
      ...(options.debug ? { debug: options.debug.level } : {}),
      ...(onLog ? { onStderr: logLines(onLog), onStdout: logLines(onLog) } : {}),
    });
    await client.waitReady;
    const opened = client;
    const db = drizzlePglite({ client: opened, schema }) as unknown as Database;
    let closing: Promise<void> | undefined;
    return {
      db,
      driver: "pglite",
      lastShutdown,
      ping: () => timeSelectOne(db),
      listen: (channel, onNotify, onListen) => listenPglite(opened, channel, onNotify, onListen),
      // Postgres writes a shutdown checkpoint, so the next start needs no recovery; then the directory is free.
      close: () => {
        closing ??= (opened.closed ? Promise.resolve() : opened.close()).finally(lock.release);
        return closing;
      },
    };
  } catch (error) {
    await client?.close().catch(() => {});
    lock.release();
    throw error;
  }
}

/** The embedded database lives in this process: its subscription is never lost, so it is listened once. */
async function listenPglite(
  client: PGlite,
  channel: string,
  onNotify: (payload: string) => void,
  onListen?: () => void,
): Promise<() => Promise<void>> {
  const unsubscribe = await client.listen(channel, onNotify);
  onListen?.();
  return unsubscribe;
}

function logLines(onLog: (line: string) => void): (text: string) => boolean {
  return (text) => {
    for (const line of text.split("\n")) if (line.trim() !== "") onLog(line);
    return true;
  };
}

async function timeSelectOne(db: Database): Promise<number> {
  const started = performance.now();
  // Bounded: a health check that hangs is no answer to a load balancer.
  await withinTime(db.execute(sql`select 1`), "select 1", pingTimeoutMs);
  return performance.now() - started;
}
