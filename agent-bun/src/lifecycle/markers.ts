import { rmSync } from "node:fs";
import type { z } from "zod";
import { readFileIfExists, writeFileAtomically } from "../config/files.ts";
import { logger } from "../logging.ts";

const log = logger("lifecycle");

/**
 * A marker is what a reboot or agent update leaves in the state directory before the agent stops:
 * the command it answers and what the next start must check. One file per kind, so at most one of
 * each is pending, and a marker that cannot be read is dropped (its command then ends by its lease).
 */
export function readMarker<T>(path: string, schema: z.ZodType<T>): T | null {
  let text: string | null;
  try {
    text = readFileIfExists(path);
  } catch (error) {
    log.warn("Cannot read {path}: {error}", { path, error: (error as Error).message });
    return null;
  }
  if (text === null) return null;
  try {
    return schema.parse(JSON.parse(text));
  } catch (error) {
    log.warn("Dropping the unreadable marker {path}: {error}", { path, error: (error as Error).message });
    clearMarker(path);
    return null;
  }
}

export function writeMarker<T>(path: string, value: T) {
  writeFileAtomically(path, `${JSON.stringify(value, null, 2)}\n`, 0o600);
}

export function clearMarker(path: string) {
  rmSync(path, { force: true });
}
