/**
 * `bun run restore -- FILE DIR`: a backup made by `bun run backup` into the new (or empty) directory
 * DIR; then start the server with REDFLAG_DATA_DIR=DIR.
 */
import { resolve } from "node:path";
import { isDataDirectoryLockedError } from "@redflag/db";
import { restoreDataDirectory } from "./embedded-backup.ts";

const [file, directory] = process.argv.slice(2);
/** A mistake in how the script was called: the message is all the user needs. */
class UsageError extends Error {}

try {
  if (!file || !directory) throw new UsageError("Usage: bun run restore -- FILE.tgz NEW_DATA_DIR");
  await restoreDataDirectory(resolve(file), resolve(directory));
  console.log(
    `Restored ${resolve(file)} into ${resolve(directory)}; start the server with REDFLAG_DATA_DIR=${resolve(directory)}.`,
  );
} catch (error) {
  if (error instanceof UsageError || isDataDirectoryLockedError(error)) {
    console.error(error.message);
    process.exitCode = 2;
  } else {
    console.error("Restore failed:", error);
    process.exitCode = 1;
  }
}
