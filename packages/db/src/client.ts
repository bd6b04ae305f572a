import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
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
  /** Round trip of `select 1` in milliseconds; throws when the database cannot be reached. */
  ping: () => Promise<number>;
  close: () => Promise<void>;
};

export type DatabaseOptions =
  | { driver: "postgres"; url: string; maxConnections?: number }
  | { driver: "pglite"; dataDir: string }
  | { driver: "pglite"; instance: PGlite };

export async function createDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.driver === "postgres") {
    const client = postgres(options.url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      connection: { application_name: "redflag" },
    });
    const db = drizzlePostgres({ client, schema }) as unknown as Database;
    return {
      db,
      driver: "postgres",
      ping: () => timeSelectOne(db),
      close: () => client.end({ timeout: 5 }),
    };
  }
  const client =
    "instance" in options ? options.instance : new PGlite(options.dataDir, { extensions: pgliteExtensions });
  await client.waitReady;
  const db = drizzlePglite({ client, schema }) as unknown as Database;
  return {
    db,
    driver: "pglite",
    ping: () => timeSelectOne(db),
    close: () => client.close(),
  };
}

async function timeSelectOne(db: Database): Promise<number> {
  const started = performance.now();
  await db.execute(sql`select 1`);
  return performance.now() - started;
}
