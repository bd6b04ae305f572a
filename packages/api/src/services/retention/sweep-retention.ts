import type { Database } from "@redflag/db";
import { errorProperties, serverLogger } from "../../logging/logger.ts";
import { applyRetention } from "./apply-retention.ts";

/** Retention is checked at most this often; sooner while a backlog remains. */
const retentionIntervalMs = 60 * 60 * 1000;
const retryAfterErrorMs = 5 * 60 * 1000;

type SweepState = { nextRunAt: number; running: boolean };
const states = new WeakMap<Database, SweepState>();

/**
 * Called from the server's periodic sweep (every 30 s): applies retention when it is due, at most
 * once an hour, again on the next tick while old rows remain; never two runs at once. Never throws.
 */
export async function sweepRetention(db: Database, now: Date = new Date()): Promise<void> {
  let state = states.get(db);
  if (!state) {
    state = { nextRunAt: 0, running: false };
    states.set(db, state);
  }
  if (state.running || now.getTime() < state.nextRunAt) return;
  state.running = true;
  try {
    const result = await applyRetention(db, { now });
    state.nextRunAt = result.complete ? now.getTime() + retentionIntervalMs : 0;
  } catch (error) {
    state.nextRunAt = now.getTime() + retryAfterErrorMs;
    serverLogger("retention").error(
      "Deleting audit events, scans and command logs past their retention failed",
      {
        error: errorProperties(error),
      },
    );
  } finally {
    state.running = false;
  }
}
