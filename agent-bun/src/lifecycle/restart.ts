import { exitCodes } from "../errors.ts";

/**
 * How a command asks the daemon to stop for a restart by its service manager: the daemon's start
 * (daemon/start.ts) listens, stops the poll loop and exits with `exitCodes.restartForUpdate`.
 */
let requested = false;
const listeners = new Set<() => void>();

export function requestRestart() {
  requested = true;
  for (const listener of listeners) listener();
}

export function onRestartRequested(listener: () => void): () => void {
  listeners.add(listener);
  if (requested) listener();
  return () => listeners.delete(listener);
}

/** The exit code the daemon ends with when a restart was asked for, else null. */
export function restartExitCode(): number | null {
  return requested ? exitCodes.restartForUpdate : null;
}
