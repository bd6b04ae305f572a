import type { AppRouter } from "@redflag/api";
import { TRPCClientError } from "@trpc/client";
import { humanize } from "~/lib/format";

export function isTrpcError(error: unknown): error is TRPCClientError<AppRouter> {
  return error instanceof TRPCClientError;
}

export function isUnauthorized(error: unknown): boolean {
  return isTrpcError(error) && error.data?.code === "UNAUTHORIZED";
}

export function isNotFound(error: unknown): boolean {
  return isTrpcError(error) && error.data?.code === "NOT_FOUND";
}

/** An answer the caller must change something to fix (HTTP 4xx). */
export function isClientError(error: unknown): boolean {
  const status = isTrpcError(error) ? error.data?.httpStatus : undefined;
  return status !== undefined && status >= 400 && status < 500;
}

/** What to show a person for a failed call: a refused input in words, never the validator's text. */
export function messageOf(error: unknown): string {
  const fields = isTrpcError(error) ? error.data?.fields : null;
  if (fields && fields.length > 0) return fields.map(fieldMessage).join(" ");
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong; try again.";
}

/** The names the forms and filters give the inputs the API checks. */
const fieldNames: Record<string, string> = {
  search: "Search",
  tags: "Tags",
  tag: "Tag",
  pollIntervalSeconds: "Poll interval",
  defaultPollIntervalSeconds: "Default poll interval",
  rapidModeMinutes: "Rapid mode",
  commandMaxAttempts: "Attempts per command",
  username: "Username",
  password: "Password",
  label: "Label",
  seats: "Seats",
  expiresInHours: "Expiry",
  name: "Name",
  updateIds: "The selection",
  expectedTotal: "The selection",
};

function fieldName(path: string): string {
  const parts = path.split(".").filter((part) => part !== "" && !/^\d+$/.test(part));
  const last = parts.at(-1);
  if (!last || last === "value") return parts.at(-2) ? fieldName(parts.slice(0, -1).join(".")) : "This value";
  return fieldNames[last] ?? humanize(last.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase());
}

/** "Too big: expected string to have <=200 characters" → "Search is too long (at most 200 characters)." */
export function fieldMessage(field: { path: string; message: string }): string {
  const name = fieldName(field.path);
  const message = field.message;
  const bound = /([<>]=?)\s*(-?[\d.]+)/.exec(message);
  const limit = bound?.[2];
  const isMax = bound?.[1]?.startsWith("<");
  if (limit && /string/.test(message)) {
    return isMax
      ? `${name} is too long (at most ${limit} characters).`
      : Number(limit) <= 1
        ? `${name} must not be empty.`
        : `${name} is too short (at least ${limit} characters).`;
  }
  if (limit && /array|set/.test(message)) {
    return isMax ? `${name} has too many entries (at most ${limit}).` : `${name} needs at least ${limit}.`;
  }
  if (limit && /number|bigint|date/.test(message)) {
    return isMax ? `${name} must be at most ${limit}.` : `${name} must be at least ${limit}.`;
  }
  if (/expected number/.test(message)) return `${name} must be a number.`;
  if (/expected int/.test(message)) return `${name} must be a whole number.`;
  if (/^Invalid (input|option|string|enum)/i.test(message) || /expected/.test(message)) {
    return `${name} is not valid.`;
  }
  // A message the API wrote itself ("may contain only letters, digits and . _ : -") reads after the name.
  return `${name} ${message.replace(/\.$/, "")}.`;
}
