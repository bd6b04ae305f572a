import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import {
  createDatabase,
  type DatabaseHandle,
  locateMigrationsFolder,
  migrate,
  pgliteExtensions,
} from "@redflag/db";
import postgres from "postgres";
import { testEnvironment } from "./environment.ts";

export const migrationsFolder = locateMigrationsFolder(import.meta.dir);

export type TestDatabase = {
  handle: DatabaseHandle;
  url: string | null;
  name: string;
  cleanup: () => Promise<void>;
};

let pgliteTemplate: Promise<PGlite> | undefined;

/**
 * A fresh, migrated database for one test file: a new database on the Postgres server named by
 * REDFLAG_TEST_POSTGRES_URL (dropped by `cleanup`), or else a clone of a migrated in-memory PGlite.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = testEnvironment.postgresUrl;
  if (serverUrl) {
    const name = `redflag_test_${randomBytes(6).toString("hex")}`;
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const handle = await createDatabase({ driver: "postgres", url: url.toString(), maxConnections: 20 });
    await migrate(handle.db, migrationsFolder);
    return {
      handle,
      url: url.toString(),
      name,
      async cleanup() {
        await handle.close();
        await admin.unsafe(`drop database if exists ${name} with (force)`);
        await admin.end();
      },
    };
  }
  pgliteTemplate ??= (async () => {
    const template = new PGlite({ extensions: pgliteExtensions });
    const handle = await createDatabase({ driver: "pglite", instance: template });
    await migrate(handle.db, migrationsFolder);
    return template;
  })();
  const instance = (await (await pgliteTemplate).clone()) as PGlite;
  const handle = await createDatabase({ driver: "pglite", instance });
  return { handle, url: null, name: "pglite", cleanup: () => handle.close() };
}
