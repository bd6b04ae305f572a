/**
 * `bun run backup -- FILE`: the embedded database (REDFLAG_DATA_DIR, default ./data) into FILE.
 * The server must be stopped (the data directory's lock says so otherwise). With DATABASE_URL, use pg_dump.
 */
import { resolve } from "node:path";
import { isDataDirectoryLockedError, locateMigrationsFolder } from "@redflag/db";
import { backUpDataDirectory } from "./embedded-backup.ts";

// Read once, here: this script is its own small deployable.
const environment = process.env;
const file = process.argv[2];
/** A mistake in how the script was called: the message is all the user needs. */
class UsageError extends Error {}

try {
  if (!file) throw new UsageError("Usage: bun run backup -- FILE.tgz");
  if (environment.DATABASE_URL) {
    throw new UsageError("DATABASE_URL is set: back up PostgreSQL with pg_dump (online and consistent).");
  }
  const repositoryRoot = resolve(locateMigrationsFolder(import.meta.dir), "..");
  const dataDir = resolve(repositoryRoot, environment.REDFLAG_DATA_DIR ?? "./data");
  const bytes = await backUpDataDirectory(dataDir, resolve(file));
  console.log(`Backed up ${dataDir} to ${resolve(file)} (${bytes} bytes).`);
} catch (error) {
  if (error instanceof UsageError || isDataDirectoryLockedError(error)) {
    console.error(error.message);
    process.exitCode = 2;
  } else {
    console.error("Backup failed:", error);
    process.exitCode = 1;
  }
}
