import { maxLongPollSeconds } from "@redflag/contracts";
import { z } from "zod";

/**
 * Whether the daemon's next check-in is a long poll (the server holds it open until a command is
 * queued for this agent, or its wait is up) or a plain one, and why: pure functions of what the agent
 * has seen, so the decision is tested without a server.
 *
 * Something between agent and server (a reverse proxy's read timeout, a load balancer's idle timeout)
 * may cut requests held open. Such a cut ends a long poll early, after it was held for a while, with a
 * gateway error, a reset connection or an answer that is not the server's. Two in a row and the agent
 * polls plainly, saying why, and tries a long poll again an hour later; one that works clears it.
 */

/** Long polls cut in a row before the agent falls back to plain polling. */
export const cutsBeforeFallback = 2;
/** After falling back, a long poll is tried again this much later. */
export const retryLongPollAfterMs = 60 * 60_000;
/** A long poll that failed sooner than this was never held: a refusal, not a cut. */
export const heldAtLeastMs = 1_000;
/** A long poll that failed within this of its wait's end was not cut early. */
export const endedEarlyByMs = 1_000;
/** A long poll's request timeout: its wait plus this, for the server to answer once the wait is up. */
export const longPollMarginMs = 15_000;
/** Between two long polls, at least this: a server answering each at once is not asked 100 times a second. */
export const longPollFloorMs = 1_000;

/**
 * The agent's own settings (config file: `longPoll`, `longPollMaxSeconds`) and its server-set poll
 * interval: a long poll never waits longer, since the server counts an agent silent for three poll
 * intervals as offline, and a held check-in is recorded when it arrives.
 */
export type LongPollSettings = { enabled: boolean; maxWaitSeconds: number; pollIntervalSeconds: number };

const cutSchema = z.object({
  /** How long the cut long polls were held, rounded to seconds. */
  afterSeconds: z.number().int().min(0).max(maxLongPollSeconds),
  /** How they ended, e.g. "a gateway error (HTTP 504)". */
  by: z.string().max(200),
});
export type LongPollCut = z.infer<typeof cutSchema>;

const plainReasons = [
  /** Before the first answer: the server's limit is not known yet. */
  "first-check-in",
  /** The server's answers carry no long-poll limit (a server from before long polls). */
  "server-without-long-polls",
  /** The server's limit is 0. */
  "turned-off-on-server",
  /** This agent's config says `longPoll: false`. */
  "turned-off-here",
] as const;
type PlainReason = (typeof plainReasons)[number];

/** The mode and its reason, as the daemon saves it for `--status`. */
export const checkInModeSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("long-poll"),
    waitSeconds: z.number().int().min(1).max(maxLongPollSeconds),
    serverLimitSeconds: z.number().int().min(1).max(maxLongPollSeconds),
    /** Trying long polls again after they were cut (one more cut falls back at once). */
    retryingAfter: cutSchema.nullable(),
  }),
  z.object({ kind: z.literal("plain"), reason: z.enum(plainReasons) }),
  z.object({ kind: z.literal("fallen-back"), cut: cutSchema, retryAt: z.coerce.date() }),
]);
export type CheckInMode = z.infer<typeof checkInModeSchema>;

/** What the agent has seen of long polls since it started. */
export type LongPollHistory = {
  /** The last answer's `longPollSeconds`: undefined before the first, null when the server sent none. */
  serverLimitSeconds: number | null | undefined;
  /** Long polls cut since the last one that worked. */
  consecutiveCuts: number;
  /** While plain polling because long polls were cut: the last cut, and when to try again. */
  fallback: { cut: LongPollCut; retryAt: Date } | null;
  /** The cut that started the fallback, kept while trying again (cleared by a long poll that works). */
  lastCut: LongPollCut | null;
};

export const freshHistory: LongPollHistory = {
  serverLimitSeconds: undefined,
  consecutiveCuts: 0,
  fallback: null,
  lastCut: null,
};

/**
 * The history at start: fresh, except that a fallback saved by the previous run and not yet due for a
 * retry is kept, so a restarted agent behind the same proxy does not meet its cuts twice more.
 */
export function historyAtStart(saved: CheckInMode | null, now: Date): LongPollHistory {
  if (saved?.kind !== "fallen-back" || saved.retryAt.getTime() <= now.getTime()) return freshHistory;
  // Never longer than a retry period from now, whatever the file says.
  const retryAt = new Date(Math.min(saved.retryAt.getTime(), now.getTime() + retryLongPollAfterMs));
  return {
    ...freshHistory,
    consecutiveCuts: cutsBeforeFallback,
    fallback: { cut: saved.cut, retryAt },
    lastCut: saved.cut,
  };
}

export type LongPollOutcome =
  /** The server answered (a plain check-in or a long poll); `waitSeconds` is what was asked. */
  | { kind: "answered"; waitSeconds: number; serverLimitSeconds: number | null }
  /** A long poll ended early by something between agent and server. */
  | { kind: "cut"; cut: LongPollCut; at: Date }
  /** Failed otherwise (the server down, a refusal, a timeout): says nothing about long polls. */
  | { kind: "failed" };

/**
 * What a failed check-in says about long polls. `interruption` is how it ended when that looks like
 * a proxy (transport/errors.ts `interruptionOf`), else null. A cut is a long poll held a while and
 * ended that way before its wait was up.
 */
export function outcomeOfFailure(failure: {
  waitSeconds: number;
  heldMs: number;
  interruption: string | null;
  at: Date;
}): LongPollOutcome {
  const { waitSeconds, heldMs, interruption, at } = failure;
  if (waitSeconds <= 0 || interruption === null) return { kind: "failed" };
  if (heldMs < heldAtLeastMs || heldMs > waitSeconds * 1000 - endedEarlyByMs) return { kind: "failed" };
  return {
    kind: "cut",
    cut: {
      afterSeconds: Math.min(maxLongPollSeconds, Math.round(heldMs / 1000)),
      by: interruption.slice(0, 200),
    },
    at,
  };
}

/** The server's `longPollSeconds` as the agent takes it: a whole number of seconds in range, else none. */
export function serverLimitOf(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= maxLongPollSeconds
    ? value
    : null;
}

export function recordOutcome(history: LongPollHistory, outcome: LongPollOutcome): LongPollHistory {
  switch (outcome.kind) {
    case "failed":
      return history;
    case "answered": {
      const learned = { ...history, serverLimitSeconds: outcome.serverLimitSeconds };
      // Only a long poll that was held and answered proves long polls get through.
      return outcome.waitSeconds > 0
        ? { ...learned, consecutiveCuts: 0, fallback: null, lastCut: null }
        : learned;
    }
    case "cut": {
      const consecutiveCuts = history.consecutiveCuts + 1;
      // A retry after a fallback falls back again at its first cut: the earlier ones still count.
      if (consecutiveCuts < cutsBeforeFallback) return { ...history, consecutiveCuts };
      return {
        ...history,
        consecutiveCuts,
        fallback: { cut: outcome.cut, retryAt: new Date(outcome.at.getTime() + retryLongPollAfterMs) },
        lastCut: outcome.cut,
      };
    }
  }
}

/** The next check-in's mode. */
export function chooseCheckInMode(
  history: LongPollHistory,
  settings: LongPollSettings,
  now: Date,
): CheckInMode {
  const plain = (reason: PlainReason): CheckInMode => ({ kind: "plain", reason });
  if (!settings.enabled || settings.maxWaitSeconds <= 0) return plain("turned-off-here");
  const limit = history.serverLimitSeconds;
  if (limit === undefined) return plain("first-check-in");
  if (limit === null) return plain("server-without-long-polls");
  if (limit === 0) return plain("turned-off-on-server");
  if (history.fallback && now.getTime() < history.fallback.retryAt.getTime())
    return { kind: "fallen-back", cut: history.fallback.cut, retryAt: history.fallback.retryAt };
  return {
    kind: "long-poll",
    waitSeconds: Math.min(limit, settings.maxWaitSeconds, settings.pollIntervalSeconds, maxLongPollSeconds),
    serverLimitSeconds: limit,
    retryingAfter: history.lastCut,
  };
}

/** One line for the log and `--status`. */
export function describeCheckInMode(mode: CheckInMode, pollIntervalSeconds: number): string {
  const plain = `plain polling every ${pollIntervalSeconds} s`;
  switch (mode.kind) {
    case "long-poll":
      return `long polls: each check-in waits up to ${mode.waitSeconds} s for a command (the server holds them up to ${mode.serverLimitSeconds} s)${
        mode.retryingAfter
          ? `, tried again after they were cut after ~${mode.retryingAfter.afterSeconds} s`
          : ""
      }`;
    case "fallen-back":
      return `long polls are cut after ~${mode.cut.afterSeconds} s by something between the agent and the server (a proxy's read timeout?), ended by ${mode.cut.by}; ${plain}, trying a long poll again at ${mode.retryAt.toISOString()}`;
    case "plain":
      return `${plain} (${plainReasonText[mode.reason]})`;
  }
}

const plainReasonText: Record<PlainReason, string> = {
  "first-check-in": "until the first check-in tells whether the server holds long polls",
  "server-without-long-polls": "the server does not hold long polls",
  "turned-off-on-server": "long polls are turned off on the server",
  "turned-off-here": "long polls are turned off in this agent's config",
};

/** Whether two modes differ in what the log should say (not every check-in is worth a line). */
export function isSameMode(a: CheckInMode | null, b: CheckInMode): boolean {
  return a !== null && JSON.stringify(a) === JSON.stringify(b);
}

/** `--status`'s line: the mode the daemon last saved, else what the config allows. */
export function checkInModeLine(
  saved: CheckInMode | null,
  config: { pollIntervalSeconds: number; longPoll: boolean },
): string {
  if (saved) return describeCheckInMode(saved, config.pollIntervalSeconds);
  if (!config.longPoll)
    return describeCheckInMode({ kind: "plain", reason: "turned-off-here" }, config.pollIntervalSeconds);
  return "not known until the daemon checks in (long polls where the server holds them)";
}
