import { existsSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import {
  DurableNodeFS,
  dataDirectoryLockFileName,
  durableStartParams,
  lockDataDirectory,
  pgliteExtensions,
} from "@redflag/db";

/**
 * Writes the embedded database in `dataDir` to `file` (a gzipped tar from PGlite's dumpDataDir).
 * Takes the data directory's lock for the duration, so it refuses to run beside a server (there
 * is no online backup of the embedded database) and no server can start during it: the copy is
 * consistent. Returns the size written.
 */
export async function backUpDataDirectory(dataDir: string, file: string): Promise<number> {
  if (!existsSync(join(dataDir, "PG_VERSION"))) throw new Error(`${dataDir} holds no database to back up`);
  const lock = lockDataDirectory(dataDir);
  try {
    const pglite = await openDurable(dataDir);
    let tarball: Blob;
    try {
      tarball = await pglite.dumpDataDir("gzip");
    } finally {
      await pglite.close();
    }
    const bytes = new Uint8Array(await tarball.arrayBuffer());
    const temporary = `${file}.partial`;
    writeFileSync(temporary, bytes, { flush: true });
    renameSync(temporary, file);
    return bytes.byteLength;
  } finally {
    lock.release();
  }
}

/** Restores a backup into `dataDir`, which must not exist yet or be empty (never overwrites a database). */
export async function restoreDataDirectory(file: string, dataDir: string): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new Error(
      `${dataDir} is not empty: restore into a new directory, then point REDFLAG_DATA_DIR at it`,
    );
  }
  const lock = lockDataDirectory(dataDir);
  try {
    const pglite = await openDurable(dataDir, new Blob([readFileSync(file)]));
    await pglite.close();
    // The archive carries the lock file of the process that made it: this one is still ours to drop.
    const lockPath = join(dataDir, dataDirectoryLockFileName);
    if (existsSync(lockPath) && readFileSync(lockPath, "utf8") !== `${JSON.stringify(lock.holder)}\n`) {
      unlinkSync(lockPath);
    }
  } finally {
    lock.release();
  }
}

async function openDurable(dataDir: string, loadDataDir?: Blob): Promise<PGlite> {
  const pglite = new PGlite({
    dataDir,
    extensions: pgliteExtensions,
    fs: new DurableNodeFS(dataDir),
    startParams: durableStartParams,
    ...(loadDataDir ? { loadDataDir } : {}),
  });
  await pglite.waitReady;
  return pglite;
}
