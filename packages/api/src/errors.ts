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
