import { TRPCClientError } from "@trpc/client";
import { ExitError, exitCodes } from "../errors.ts";

/** The tRPC error code of a failed call, or null when the server was never reached. */
export function trpcCode(error: unknown): string | null {
  if (error instanceof TRPCClientError) {
    const data = error.data as { code?: unknown } | undefined;
    return typeof data?.code === "string" ? data.code : null;
  }
  return null;
}

const retryableCodes = new Set([
  "TOO_MANY_REQUESTS",
  "INTERNAL_SERVER_ERROR",
  "TIMEOUT",
  "SERVICE_UNAVAILABLE",
  "BAD_GATEWAY",
  "GATEWAY_TIMEOUT",
  "CLIENT_CLOSED_REQUEST",
]);

/**
 * Turns a failed call into an ExitError that says whether retrying makes sense:
 * an unreachable or overloaded server is worth retrying, a rejected token or payload is not.
 */
export function classifyCallError(error: unknown, what: string, serverUrl: string): ExitError {
  if (error instanceof ExitError) return error;
  const code = trpcCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === null) {
    return new ExitError(`Cannot reach the server at ${serverUrl} (${what}): ${message}`, {
      exitCode: exitCodes.serverUnreachable,
      retryable: true,
      cause: error,
    });
  }
  if (code === "UNAUTHORIZED" || code === "FORBIDDEN") {
    return new ExitError(`The server refused ${what}: ${message}`, {
      exitCode: exitCodes.badToken,
      cause: error,
    });
  }
  if (retryableCodes.has(code)) {
    return new ExitError(`The server could not handle ${what} now (${code}): ${message}`, {
      exitCode: exitCodes.serverUnreachable,
      retryable: true,
      cause: error,
    });
  }
  return new ExitError(`The server rejected ${what} (${code}): ${message}`, {
    exitCode: exitCodes.serverRejected,
    cause: error,
  });
}

/**
 * An HTTP answer that is not the server's API speaking (the API always answers JSON): a proxy's error
 * page, an empty body. Thrown by the client's fetch, so the status survives into the call's error.
 */
export class ForeignAnswerError extends Error {
  constructor(
    readonly status: number,
    readonly contentType: string | null,
  ) {
    super(
      `the answer is not the RedFlag API's (HTTP ${status}${contentType ? `, ${contentType}` : ", no content type"}): is the server URL right, or is a proxy in between failing?`,
    );
    this.name = "ForeignAnswerError";
  }
}

/** Statuses a gateway (a reverse proxy) answers with when its upstream failed or took too long. */
const gatewayStatuses = new Set([502, 503, 504]);

/**
 * How a failed call ended, when it looks like something between the agent and the server ended it:
 * a gateway error page, a connection reset, an empty or invalid answer. Null for anything else (a
 * refused connection, the server's own error, the agent's own timeout), which says nothing about a
 * proxy. Read by the long-poll fallback (daemon/long-poll.ts).
 */
export function interruptionOf(error: unknown): string | null {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    if (cause instanceof ForeignAnswerError) {
      return gatewayStatuses.has(cause.status)
        ? `a gateway error (HTTP ${cause.status})`
        : `an answer that is not the server's (HTTP ${cause.status})`;
    }
    const code = (cause as NodeJS.ErrnoException).code;
    if (
      code === "ECONNRESET" ||
      code === "EPIPE" ||
      /socket connection was closed unexpectedly/i.test(cause.message)
    )
      return "a connection reset";
    if (cause instanceof SyntaxError || /unable to transform response/i.test(cause.message))
      return "an invalid answer";
  }
  return null;
}
