/** The platform a building block talks to; one per folder under `platforms/`. */
export type Platform = "dnf" | "docker" | "windows-update" | "winget" | "process";

/**
 * Why a platform step failed, coarse enough for the poll loop:
 * - `missing`: the tool is not installed or cannot be started (retrying will not help),
 * - `failed`: the tool ran and reported an error,
 * - `unrecognized`: the tool's output is not what we know how to read (never read as "nothing"),
 * - `invalid-input`: a name or reference we were asked to use is not acceptable,
 * - `unavailable`: a service did not answer, timed out or asked us to slow down,
 * - `unauthorized`: credentials are missing or refused.
 */
export type PlatformErrorKind =
  | "missing"
  | "failed"
  | "unrecognized"
  | "invalid-input"
  | "unavailable"
  | "unauthorized";

export type PlatformErrorOptions = {
  platform: Platform;
  kind: PlatformErrorKind;
  /** What we were doing, e.g. "dnf check-update" or "HEAD manifest 127.0.0.1:5000/app:1.0". */
  operation: string;
  /** Whether trying again later may succeed. Defaults by kind: only `unavailable` and `failed` are. */
  retryable?: boolean;
  /** For `unavailable`: how long the other side asked us to wait, when it said. */
  retryAfterMs?: number;
  cause?: unknown;
};

const retryableByDefault: Record<PlatformErrorKind, boolean> = {
  missing: false,
  failed: true,
  unrecognized: false,
  "invalid-input": false,
  unavailable: true,
  unauthorized: false,
};

/** Every failure a platform module reports: what failed, and whether retrying makes sense. */
export class PlatformError extends Error {
  readonly platform: Platform;
  readonly kind: PlatformErrorKind;
  readonly operation: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: PlatformErrorOptions) {
    super(`${options.operation}: ${message}`, { cause: options.cause });
    this.name = "PlatformError";
    this.platform = options.platform;
    this.kind = options.kind;
    this.operation = options.operation;
    this.retryable = options.retryable ?? retryableByDefault[options.kind];
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isPlatformError(error: unknown): error is PlatformError {
  return error instanceof PlatformError;
}

/** The last lines of a tool's output, for an error message a person reads. */
export function tailOfOutput(text: string, lines = 8, maxLength = 2000): string {
  const tail = text.trim().split("\n").slice(-lines).join("\n");
  return tail.length > maxLength ? tail.slice(-maxLength) : tail;
}
