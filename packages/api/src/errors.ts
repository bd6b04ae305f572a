import { TRPCError } from "@trpc/server";

/** The one table of error codes the API uses, each mapped to the tRPC (and so HTTP) code it answers with. */
export const appErrorCodes = {
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  TOO_MANY_REQUESTS: "TOO_MANY_REQUESTS",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  INTERNAL: "INTERNAL_SERVER_ERROR",
  UNAVAILABLE: "SERVICE_UNAVAILABLE",
} as const;

export type AppErrorCode = keyof typeof appErrorCodes;

export class AppError extends TRPCError {
  readonly appCode: AppErrorCode;
  constructor(code: AppErrorCode, message: string, options?: { cause?: unknown }) {
    super({ code: appErrorCodes[code], message, cause: options?.cause });
    this.appCode = code;
  }
}

export function notFound(what: string, id: string): AppError {
  return new AppError("NOT_FOUND", `${what} ${id} was not found`);
}

/** How long a client should wait before retrying while the database cannot be reached. */
export const retryAfterSeconds = 5;

/**
 * What a database failure means for the caller: `unavailable` the database cannot be reached now (a
 * restart, a lost connection; retrying later helps), `invalid_value` it refused a value the request
 * carried (a contract let through what a column cannot hold; retrying the same request never helps).
 */
export type DatabaseFailure = "unavailable" | "invalid_value";

/** Network and client codes of postgres.js and Node when no connection can be had or kept. */
const connectionErrorCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNABORTED",
  "ERR_SOCKET_CLOSED",
  "ERR_STREAM_DESTROYED",
  // packages/db's bound on a database that does not answer (the health check's ping).
  "DATABASE_TIMEOUT",
]);

/**
 * SQLSTATEs of class 22 (data exception) that a value sent by a client can cause: a string too long,
 * a number or date out of range, NUL in text or JSON, an unreadable number, date or pattern.
 */
const invalidValueStates = new Set([
  "22001",
  "22003",
  "22007",
  "22008",
  "22019",
  "22021",
  "22025",
  "2201B",
  "22P02",
  "22P05",
]);

function sqlStateFailure(state: string): DatabaseFailure | null {
  // 08: connection exception; 53: out of resources (too many connections, disk full);
  // 57P01–57P03: the server is shutting down, crashed or still starting.
  if (state.startsWith("08") || state.startsWith("53") || /^57P0[1-3]$/.test(state)) return "unavailable";
  return invalidValueStates.has(state) ? "invalid_value" : null;
}

/** The database failure somewhere in `error`'s cause chain (drizzle wraps the driver's error), or null. */
export function databaseFailureOf(error: unknown): DatabaseFailure | null {
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      if (connectionErrorCodes.has(code)) return "unavailable";
      const failure = /^[0-9A-Z]{5}$/.test(code) ? sqlStateFailure(code) : null;
      if (failure) return failure;
    }
    // PGlite, once closed, answers every query with this plain Error.
    if (/^PGlite is clos(ed|ing)$/.test(current.message)) return "unavailable";
    current = current.cause;
  }
  return null;
}

/** For the server log: the innermost error of `error`'s cause chain, with its code ("ECONNREFUSED: connect …"). */
export function unavailableCause(error: unknown): string {
  let innermost: unknown = error;
  for (let depth = 0; depth < 10 && innermost instanceof Error && innermost.cause instanceof Error; depth++) {
    innermost = innermost.cause;
  }
  if (!(innermost instanceof Error)) return String(innermost);
  const code = (innermost as { code?: unknown }).code;
  return typeof code === "string" ? `${code}: ${innermost.message}` : innermost.message;
}

/**
 * The error a client may see for `error`: its own when the API threw it on purpose; for a failure
 * (a database error, a bug) a new one that says what the caller can do and names the request in the
 * server log, with the original kept as `cause` for that log.
 */
export function toClientError(error: TRPCError, requestId: string): TRPCError {
  if (error.code !== "INTERNAL_SERVER_ERROR") return error;
  const failure = databaseFailureOf(error);
  if (failure === "unavailable") {
    return new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: `The database cannot be reached right now; retry in a few seconds (request ${requestId})`,
      cause: error,
    });
  }
  if (failure === "invalid_value") {
    return new TRPCError({
      code: "BAD_REQUEST",
      message: `A value in this request cannot be stored (a number, date or text out of range) (request ${requestId})`,
      cause: error,
    });
  }
  return new TRPCError({
    code: "INTERNAL_SERVER_ERROR",
    message: internalErrorMessage(requestId),
    cause: error,
  });
}

export function internalErrorMessage(requestId: string | null): string {
  return requestId
    ? `Internal server error; the server log has the details under request ${requestId}`
    : "Internal server error; the server log has the details";
}

/** Whether an answered error is worth a line in the server log: a failure, not a refused request. */
export function isServerFailure(error: TRPCError): boolean {
  return (
    error.code === "INTERNAL_SERVER_ERROR" ||
    error.code === "SERVICE_UNAVAILABLE" ||
    databaseFailureOf(error) !== null
  );
}
