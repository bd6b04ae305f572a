import { z } from "zod";
import { readFileIfExists, writeFileAtomically } from "../config/files.ts";
import { serverStatusSchema } from "../transport/failover.ts";
import { checkInModeSchema } from "./long-poll.ts";

/** What the daemon remembers for `--status`. */
export const daemonStateSchema = z.object({
  lastCheckInAt: z.coerce.date().nullable().default(null),
  lastScanReportedAt: z.coerce.date().nullable().default(null),
  lastError: z.string().nullable().default(null),
  rapidModeUntil: z.coerce.date().nullable().default(null),
  /** Long polls or plain polling, and why (long-poll.ts); an unreadable value is forgotten, not fatal. */
  checkInMode: checkInModeSchema.nullable().default(null).catch(null),
  /** The server the daemon is on, and why when it is not the first (transport/failover.ts). */
  server: serverStatusSchema.nullable().default(null).catch(null),
});
export type DaemonState = z.infer<typeof daemonStateSchema>;

export function loadDaemonState(path: string): DaemonState {
  try {
    return daemonStateSchema.parse(JSON.parse(readFileIfExists(path) ?? "{}"));
  } catch {
    return daemonStateSchema.parse({});
  }
}

export function saveDaemonState(path: string, state: DaemonState) {
  writeFileAtomically(path, `${JSON.stringify(state, null, 2)}\n`, 0o644);
}
