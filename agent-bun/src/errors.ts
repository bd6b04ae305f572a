import type { AgentErrorKind, PackageType } from "@redflag/contracts";

/** Exit codes the CLI promises; scripts may rely on them. */
export const exitCodes = {
  ok: 0,
  internal: 1,
  usage: 2,
  notRegistered: 3,
  notRoot: 4,
  serverUnreachable: 5,
  badToken: 6,
  scanFailed: 7,
  alreadyRunning: 8,
  serverRejected: 9,
  /** --install-service on a host without systemd: installed and registered, but not as a service. */
  noServiceManager: 10,
  /** The server's key is not the pinned one, or a signature did not verify. */
  untrusted: 11,
  /**
   * The daemon stopped so its service manager starts the installed binary again (an agent update, or
   * the previous binary put back): non-zero, because Windows restarts a service only on failure.
   */
  restartForUpdate: 12,
} as const;
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** An error the user can act on: printed as is, the process exits with `exitCode`. */
export class ExitError extends Error {
  readonly exitCode: ExitCode;
  /** Whether trying again later may succeed (server down) or not (bad token); read by the poll loop. */
  readonly retryable: boolean;
  constructor(message: string, options: { exitCode: ExitCode; retryable?: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = "ExitError";
    this.exitCode = options.exitCode;
    this.retryable = options.retryable ?? false;
  }
}

/** What an agent error is about: a package manager, or starting a child process at all. */
export type ErrorSource = PackageType | "process";

export type AgentErrorOptions = {
  source: ErrorSource;
  kind: AgentErrorKind;
  /** What we were doing, e.g. "dnf check-update" or "HEAD manifest 127.0.0.1:5000/app:1.0". */
  operation: string;
  /** Whether trying again later may succeed. Defaults by kind (see `retryableByDefault`). */
  retryable?: boolean;
  /** For `unavailable`: how long the other side asked us to wait, when it said. */
  retryAfterMs?: number;
  cause?: unknown;
};

const retryableByDefault: Record<AgentErrorKind, boolean> = {
  missing: false,
  failed: true,
  unrecognized: false,
  invalid_input: false,
  unavailable: true,
  unauthorized: false,
  locked: true,
  timed_out: true,
};

/**
 * Every scan or install failure of a package manager: what failed, and whether retrying makes sense.
 * The daemon reads `retryable` to scan again soon, and the scan report carries `kind` to the server.
 */
export class AgentError extends Error {
  readonly source: ErrorSource;
  readonly kind: AgentErrorKind;
  readonly operation: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: AgentErrorOptions) {
    super(`${options.operation}: ${message}`, { cause: options.cause });
    this.name = "AgentError";
    this.source = options.source;
    this.kind = options.kind;
    this.operation = options.operation;
    this.retryable = options.retryable ?? retryableByDefault[options.kind];
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isAgentError(error: unknown): error is AgentError {
  return error instanceof AgentError;
}

/** The last lines of a tool's output, for an error message a person reads. */
export function tailOfOutput(text: string, lines = 12, maxLength = 2000): string {
  const tail = text.trim().split("\n").slice(-lines).join("\n");
  return tail.length > maxLength ? tail.slice(-maxLength) : tail;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The one place an error becomes a message and an exit code. */
export function exitCodeFor(error: unknown, stderr: (text: string) => void): ExitCode {
  if (error instanceof ExitError) {
    stderr(`redflag-agent: ${error.message}\n`);
    return error.exitCode;
  }
  stderr(`redflag-agent: internal error (a bug, please report it): ${describeError(error)}\n`);
  if (error instanceof Error && error.stack) stderr(`${error.stack}\n`);
  return exitCodes.internal;
}

/** Installing packages and writing /etc need root; Windows checks its own ACLs. */
export function requireRoot(what: string, platform: NodeJS.Platform) {
  if (platform === "win32") return;
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new ExitError(`${what} needs root: run it with sudo`, { exitCode: exitCodes.notRoot });
  }
}
