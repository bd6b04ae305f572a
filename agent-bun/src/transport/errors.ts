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
