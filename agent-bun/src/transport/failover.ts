import { TRPCClientError } from "@trpc/client";
import { z } from "zod";
import { ExitError, exitCodes } from "../errors.ts";
import { ForeignAnswerError } from "./errors.ts";

/**
 * Failover between the server URLs of one deployment (docs/failover.md): servers that share one
 * database and one signing key, so the agent's registration, tokens and commands are the same on each.
 * A call goes to the current server; when that server is away (see `awayReason`) the call is tried on
 * the next URL at once, and so on around the list. When every URL failed the call fails as
 * retryable and the daemon backs off (exponentially, with jitter) before the next round. While on
 * another server, the first is asked now and then (`probeDue`) and taken back as soon as it answers.
 */

/** Statuses a gateway (a reverse proxy) answers with when its upstream failed or took too long. */
const gatewayStatuses = new Set([502, 503, 504]);

/**
 * Why a failed call says its server is away (a refused, reset or timed-out connection, a name that
 * does not resolve, a gateway's 502/503/504), or null when the server's API answered (any tRPC code,
 * UNAUTHORIZED included) or something else went wrong: only the first is worth another server.
 */
export function awayReason(error: unknown): string | null {
  if (error instanceof ExitError) {
    return error.retryable && error.exitCode === exitCodes.serverUnreachable ? awayReason(error.cause) : null;
  }
  let innermost: unknown = error;
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    if (
      cause instanceof TRPCClientError &&
      typeof (cause.data as { code?: unknown } | undefined)?.code === "string"
    )
      return null;
    if (cause instanceof ForeignAnswerError)
      return gatewayStatuses.has(cause.status) ? `a gateway error (HTTP ${cause.status})` : null;
    innermost = cause;
  }
  if (!(error instanceof TRPCClientError)) return null;
  const message = innermost instanceof Error ? innermost.message : String(innermost);
  if (innermost instanceof Error && innermost.name === "TimeoutError") return "no answer in time";
  return message.slice(0, 300) || "the connection failed";
}

/** Which server the agent is on and why, as the daemon saves it for `--status`. */
export const serverStatusSchema = z.object({
  serverUrl: z.string().max(2048),
  /** Its place in the config's list, 0 for the first. */
  index: z.number().int().min(0),
  count: z.number().int().min(1),
  since: z.coerce.date(),
  /** Why the agent left the server before it, null on the first server as started. */
  reason: z.string().max(600).nullable(),
});
export type ServerStatus = z.infer<typeof serverStatusSchema>;

export type ServerSwitch = { from: string; to: string; reason: string };

export class ServerRotation {
  private index = 0;
  private since: Date;
  private reason: string | null = null;
  private lastProbeAt: number;
  private readonly now: () => number;

  constructor(
    readonly urls: readonly string[],
    private readonly probeEveryMs: number,
    now: () => number = Date.now,
  ) {
    if (urls.length === 0) throw new Error("failover needs at least one server URL");
    this.now = now;
    this.since = new Date(now());
    this.lastProbeAt = now();
  }

  get current(): string {
    return this.urls[this.index] as string;
  }

  status(): ServerStatus {
    return {
      serverUrl: this.current,
      index: this.index,
      count: this.urls.length,
      since: this.since,
      reason: this.reason,
    };
  }

  /** The URLs one call tries, in turn: the current server, then the ones after it, around the list. */
  order(): string[] {
    return this.urls.map((_, offset) => this.urls[(this.index + offset) % this.urls.length] as string);
  }

  /** A call to `url` found it away: the current server moves past it (nothing changes for another URL). */
  markAway(url: string, why: string): ServerSwitch | null {
    if (url !== this.current || this.urls.length === 1) return null;
    const next = (this.index + 1) % this.urls.length;
    return this.moveTo(next, `${url} is away: ${why}`);
  }

  /** `url` answered a call: it is the current server from now on. */
  markAnswered(url: string): ServerSwitch | null {
    const index = this.urls.indexOf(url);
    if (index < 0 || index === this.index) return null;
    return this.moveTo(
      index,
      index === 0 ? `the first server, ${url}, answers again` : `${url} answered after the others failed`,
    );
  }

  /** Whether to ask the first server now: only while on another one, at most once per probe period. */
  probeDue(): boolean {
    return this.index !== 0 && this.now() - this.lastProbeAt >= this.probeEveryMs;
  }

  /** A probe of the first server went out now (whatever it found). */
  probed() {
    this.lastProbeAt = this.now();
  }

  private moveTo(index: number, reason: string): ServerSwitch {
    const from = this.current;
    this.index = index;
    this.since = new Date(this.now());
    this.reason = reason;
    // The first server is asked a full probe period after leaving it, not at once.
    if (index !== 0) this.lastProbeAt = this.now();
    return { from, to: this.current, reason };
  }
}

/** `--status`'s line for the server. */
export function describeServer(status: ServerStatus | null, configured: readonly string[]): string {
  if (configured.length === 0) return "-";
  const others = configured.length > 1 ? ` (${configured.length} configured: ${configured.join(", ")})` : "";
  if (!status || !configured.includes(status.serverUrl)) return `${configured[0]}${others}`;
  const place =
    configured.length > 1
      ? `, server ${configured.indexOf(status.serverUrl) + 1} of ${configured.length}`
      : "";
  const why = status.reason ? ` since ${status.since.toISOString()}: ${status.reason}` : "";
  return `${status.serverUrl}${place}${why}${configured.length > 1 ? `; all: ${configured.join(", ")}` : ""}`;
}
