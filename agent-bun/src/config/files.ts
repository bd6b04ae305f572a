import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { dirname } from "node:path";

/**
 * Writes a file so a reader never sees half of it: a temporary file beside it, then a rename.
 * `durable` also flushes the file and its directory to disk before returning, for records that must
 * survive a power cut (which commands were running).
 */
export function writeFileAtomically(path: string, content: string, mode = 0o600, durable = false) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode });
  chmodSync(temporary, mode);
  if (durable) syncPath(temporary);
  renameSync(temporary, path);
  if (durable && process.platform !== "win32") syncPath(dirname(path));
}

function syncPath(path: string) {
  const descriptor = openSync(path, "r");
  try {
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

/** The file's text, or null when it does not exist. */
export function readFileIfExists(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
