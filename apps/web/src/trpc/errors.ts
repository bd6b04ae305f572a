import type { AppRouter } from "@redflag/api";
import { TRPCClientError } from "@trpc/client";

export function isTrpcError(error: unknown): error is TRPCClientError<AppRouter> {
  return error instanceof TRPCClientError;
}

export function isUnauthorized(error: unknown): boolean {
  return isTrpcError(error) && error.data?.code === "UNAUTHORIZED";
}

/** An answer the caller must change something to fix (HTTP 4xx). */
export function isClientError(error: unknown): boolean {
  const status = isTrpcError(error) ? error.data?.httpStatus : undefined;
  return status !== undefined && status >= 400 && status < 500;
}

/** What to show a person for a failed call. */
export function messageOf(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong; try again.";
}
