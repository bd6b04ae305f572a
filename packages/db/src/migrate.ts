import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { sql } from "drizzle-orm";
import { readMigrationFiles } from "drizzle-orm/migrator";
import type { Database } from "./client.ts";
import { rowsOf } from "./rows.ts";

/** Any fixed number: two server instances starting together take turns on this lock. */
const migrationLockKey = 7_311_904_552;

export type MigrationLevel = { applied: number; available: number; latestHash: string | null };

/**
 * Applies drizzle-kit's migrations, keeping drizzle's own bookkeeping table, inside one transaction
 * that holds an advisory lock, so concurrent starts against one Postgres never apply a migration twice.
 */
export async function migrate(db: Database, migrationsFolder: string): Promise<MigrationLevel> {
  const migrations = readMigrationFiles({ migrationsFolder });
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${migrationLockKey})`);
    await tx.execute(sql`create schema if not exists drizzle`);
    await tx.execute(
      sql`create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`,
    );
    const last = rowsOf<{ created_at: string | number }>(
      await tx.execute(
        sql`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`,
      ),
    )[0];
    const lastApplied = last ? Number(last.created_at) : -1;
    for (const migration of migrations) {
      if (migration.folderMillis <= lastApplied) continue;
      for (const statement of migration.sql) {
        if (statement.trim() !== "") await tx.execute(sql.raw(statement));
      }
      await tx.execute(
        sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${migration.hash}, ${migration.folderMillis})`,
      );
    }
  });
  return readMigrationLevel(db, migrationsFolder);
}

export async function readMigrationLevel(db: Database, migrationsFolder: string): Promise<MigrationLevel> {
  const available = readMigrationFiles({ migrationsFolder }).length;
  const rows = rowsOf<{ hash: string; applied: string | number }>(
    await db.execute(
      sql`select hash, (select count(*) from drizzle.__drizzle_migrations) as applied from drizzle.__drizzle_migrations order by created_at desc limit 1`,
    ),
  );
  const latest = rows[0];
  return { applied: latest ? Number(latest.applied) : 0, available, latestHash: latest?.hash ?? null };
}

/** The `drizzle/` folder of this repository, found from a starting directory upwards. */
export function locateMigrationsFolder(startDirectory: string): string {
  let directory = resolve(startDirectory);
  for (;;) {
    const candidate = join(directory, "drizzle");
    if (existsSync(join(candidate, "meta", "_journal.json"))) return candidate;
    const parent = dirname(directory);
    if (parent === directory) {
      throw new Error(`No drizzle/meta/_journal.json found above ${startDirectory}`);
    }
    directory = parent;
  }
}
