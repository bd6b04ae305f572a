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
