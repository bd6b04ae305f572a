import { z } from "zod";

/**
 * The building blocks of every contract: text, numbers, dates and JSON that the database can store
 * and the dashboard can show truthfully. A value outside them is refused with a message naming the
 * rule, before any SQL runs.
 */

/** Tabs and line breaks are text; every other C0 control character and DEL is not. */
function isControlCharacter(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f;
}

function isC1Control(code: number): boolean {
  return code >= 0x80 && code <= 0x9f;
}

/**
 * Characters that change how the text around them is shown while showing nothing themselves:
 * bidi embeddings, overrides, isolates and marks, zero-width spaces and joiners, the word joiner and
 * the byte order mark. In a name they make `evil‮txt.exe` read as `evilexe.txt`.
 */
function isInvisibleFormatting(code: number): boolean {
  return (
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0x061c ||
    code === 0x2060 ||
    code === 0xfeff
  );
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Index of the first surrogate half that is not part of a pair, or -1 (String#isWellFormed is ES2024). */
function loneSurrogateIndex(text: string): number {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(index + 1))) index++;
    else if (isHighSurrogate(code) || isLowSurrogate(code)) return index;
  }
  return -1;
}

const loneSurrogateProblem = "must be valid Unicode (it holds a lone surrogate)";
const nulProblem = "must not contain NUL (U+0000) characters";

function hex(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

type TextRules = { lineBreaks: boolean; spoofing: boolean };

/** Why `text` breaks the rules, or null when it does not. */
function textProblem(text: string, rules: TextRules): string | null {
  if (loneSurrogateIndex(text) !== -1) return loneSurrogateProblem;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0) return nulProblem;
    if (isControlCharacter(code)) return `must not contain control characters (${hex(code)})`;
    if (!rules.lineBreaks && (code === 0x09 || code === 0x0a || code === 0x0d)) {
      return "must be a single line (no tabs or line breaks)";
    }
    if (rules.spoofing && isC1Control(code)) return `must not contain control characters (${hex(code)})`;
    if (rules.spoofing && isInvisibleFormatting(code)) {
      return `must not contain invisible or direction-changing characters (${hex(code)})`;
    }
  }
  return null;
}

function withTextRules(schema: z.ZodString, rules: TextRules): z.ZodString {
  return schema.superRefine((text, context) => {
    const problem = textProblem(text, rules);
    if (problem) context.addIssue({ code: "custom", message: problem });
  });
}

/**
 * Free-form text of bounded length: messages, errors, descriptions. Line breaks and tabs are allowed;
 * NUL, other control characters and lone surrogates (which Postgres cannot store) are not.
 */
export function boundedText(max: number): z.ZodString {
  return withTextRules(z.string().max(max), { lineBreaks: true, spoofing: false });
}

/**
 * A name shown to people (hostname, package name, version, label, token name, username) or text
 * searched for among them: one line, and none of the characters that make it look like another
 * (bidi overrides, zero-width characters, C1 controls). `trim` drops surrounding white space first.
 */
export function nameText(max: number, options: { trim?: boolean } = {}): z.ZodString {
  const base = options.trim ? z.string().trim().max(max) : z.string().max(max);
  return withTextRules(base, { lineBreaks: false, spoofing: true });
}

/** What a user types into a search box: a name or part of one, so the same rules. */
export function searchText(max = 200): z.ZodString {
  return nameText(max);
}

/** A tool's raw output, kept as it was (escape sequences too): only what Postgres cannot store is refused. */
export function outputText(max: number): z.ZodString {
  return z
    .string()
    .max(max)
    .superRefine((text, context) => {
      const problem = jsonStringProblem(text);
      if (problem) context.addIssue({ code: "custom", message: problem });
    });
}

/** A credential as sent: printable ASCII without spaces. */
export function tokenText(min: number, max: number): z.ZodString {
  return z
    .string()
    .min(min)
    .max(max)
    .regex(/^[\x21-\x7e]*$/, { message: "must be printable ASCII without spaces" });
}

/**
 * Text from a tool, made fit for `boundedText`: control characters dropped (line breaks too, unless
 * `keepLineBreaks`), lone surrogates replaced, cut to `max` characters without splitting a pair.
 */
export function toPrintableText(
  text: string,
  max: number,
  options: { keepLineBreaks?: boolean } = {},
): string {
  let printable = "";
  for (const character of text) {
    const code = character.charCodeAt(0);
    if (isControlCharacter(code)) continue;
    if (!options.keepLineBreaks && (code === 0x0a || code === 0x0d)) continue;
    // A lone surrogate comes out of the loop alone; a pair comes out whole.
    printable +=
      character.length === 1 && (isHighSurrogate(code) || isLowSurrogate(code)) ? "\ufffd" : character;
  }
  const cut = printable.slice(0, max);
  return isHighSurrogate(cut.charCodeAt(cut.length - 1)) ? cut.slice(0, -1) : cut;
}

const int32Min = -(2 ** 31);
const int32Max = 2 ** 31 - 1;

/** An integer a Postgres `integer` column holds. */
export function int32(): z.ZodNumber {
  return z
    .number()
    .int()
    .min(int32Min, { message: `must be at least ${int32Min} (a 32-bit integer)` })
    .max(int32Max, { message: `must be at most ${int32Max} (a 32-bit integer)` });
}

/**
 * A process's exit code: small on POSIX, an unsigned 32-bit status on Windows (0xC0000005 is
 * 3221225477). Kept as the signed 32-bit integer with the same bits (-1073741819), as Windows tools
 * show it and as a Postgres `integer` holds it.
 */
export function exitCode() {
  return z
    .number()
    .int()
    .min(int32Min, { message: `must be at least ${int32Min} (a 32-bit exit code)` })
    .max(2 ** 32 - 1, { message: `must be at most ${2 ** 32 - 1} (a 32-bit exit code)` })
    .transform((code) => (code > int32Max ? code - 2 ** 32 : code));
}

/**
 * An integer JavaScript holds exactly (±2^53 − 1), and so a Postgres `bigint` column too: byte counts,
 * uptimes. Zod's `int()` already refuses unsafe integers, infinities and NaN.
 */
export function safeInteger(): z.ZodNumber {
  return z.number().int();
}

/**
 * The dates a `timestamptz` column stores as we send them: ISO years 0001 to 9999. Postgres has no
 * year 0 and reads no 5-digit year, and a JavaScript date reaches years Postgres cannot store.
 */
export const earliestTimestamp = new Date("0001-01-01T00:00:00.000Z");
export const latestTimestamp = new Date("9999-12-31T23:59:59.999Z");

export function timestamp(): z.ZodDate {
  const message = "must be a date between the years 1 and 9999";
  return z.date().min(earliestTimestamp, { message }).max(latestTimestamp, { message });
}

const maxJsonDepth = 32;

/** Why `value` is not JSON the database can store as `jsonb`, or null when it is. */
function jsonProblem(value: unknown, depth: number): string | null {
  if (depth > maxJsonDepth) return `must not nest deeper than ${maxJsonDepth} levels`;
  if (value === null || value === undefined || typeof value === "boolean") return null;
  if (typeof value === "number") return Number.isFinite(value) ? null : "must hold only finite numbers";
  if (typeof value === "string") return jsonStringProblem(value);
  if (value instanceof Date) return null;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = jsonProblem(item, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  const prototype = typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (prototype === Object.prototype || prototype === null) {
    for (const [key, item] of Object.entries(value)) {
      const problem = jsonStringProblem(key) ?? jsonProblem(item, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  return "must hold only JSON values (no big integers, maps, sets or other objects)";
}

/** What neither `text` nor `jsonb` can hold: NUL, and a surrogate half without its pair. */
function jsonStringProblem(text: string): string | null {
  if (loneSurrogateIndex(text) !== -1) return loneSurrogateProblem;
  if (text.includes("\u0000")) return nulProblem;
  return null;
}

/**
 * Free-form JSON (metadata, a command's result): a plain object of JSON values, at most `maxBytes`
 * when serialized, nested at most 32 levels, free of NUL and lone surrogates, which `jsonb` refuses.
 */
export function jsonRecord(maxBytes: number) {
  return z.record(z.string(), z.unknown()).superRefine((value, context) => {
    const problem = jsonProblem(value, 0);
    if (problem) {
      context.addIssue({ code: "custom", message: problem });
      return;
    }
    if (JSON.stringify(value).length > maxBytes) {
      context.addIssue({ code: "custom", message: `must be at most ${maxBytes} bytes of JSON` });
    }
  });
}
