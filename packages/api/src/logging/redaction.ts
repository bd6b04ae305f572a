import type { FieldPatterns, RedactionPatterns } from "@logtape/redaction";

const redacted = "[REDACTED]";

/**
 * Properties whose values are secrets, wherever they sit in a log record (a request body at debug, a
 * notification target's settings): passwords, tokens of every kind, cookies, authorization headers,
 * signing secrets and keys. `tokenId`, `tokenPrefix` and the like name a token without being one.
 */
export const secretFields: FieldPatterns = [
  /pass(?:code|phrase|word)/i,
  /secret/i,
  /token$/i,
  /^tokens?$/i,
  /cookie/i,
  /authorization/i,
  /private.?key/i,
  /signing.?key/i,
  /^seed$/i,
];

/**
 * Secrets recognised by their shape, wherever they appear in a line (a message, an error's text):
 * the server's own tokens (auth/tokens.ts prefixes), the admin session cookie, bearer credentials.
 */
export const secretPatterns: RedactionPatterns = [
  {
    pattern: /\b(rf_(?:pat|reg|at|rt)_)[A-Za-z0-9_\-.~+/=]+/g,
    replacement: (_match, prefix) => `${prefix}${redacted}`,
  },
  { pattern: /\b(rf_session=)[^;\s"'\\,]+/g, replacement: (_match, name) => `${name}${redacted}` },
  { pattern: /\b(Bearer\s+)[^\s"'\\,]+/gi, replacement: (_match, scheme) => `${scheme}${redacted}` },
];

/** What a secret field's value becomes. */
export function redactValue(): string {
  return redacted;
}
