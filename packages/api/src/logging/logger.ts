import { AsyncLocalStorage } from "node:async_hooks";
import {
  configureSync,
  getJsonLinesFormatter,
  getLogger,
  type Logger,
  type LogLevel,
  type LogRecord,
  type TextFormatter,
  withContext,
} from "@logtape/logtape";
import { getPrettyFormatter } from "@logtape/pretty";
import { redactByField, redactByPattern } from "@logtape/redaction";
import { observeQueries, type TimedQuery } from "@redflag/db";
import { redactValue, secretFields, secretPatterns } from "./redaction.ts";

export type LogFormat = "json" | "pretty";

export type LoggingOptions = {
  /** JSON lines (the default) or a readable layout; unset: pretty when stdout is a terminal. */
  format?: LogFormat;
  /** Where formatted lines go; stdout by default. Tests capture them here. */
  write?: (line: string) => void;
};

type LoggingState = {
  options: LoggingOptions;
  /** Whoever asked for debug logs (each server's debug mode); the level is debug while any does. */
  debugRequests: Set<object>;
  level: LogLevel;
  context: AsyncLocalStorage<Record<string, unknown>>;
};

// On globalThis: Next.js bundles instrumentation and each route apart, and all of them log through
// the one configuration of this process.
const key = Symbol.for("redflag.logging");
const store = globalThis as typeof globalThis & { [key]?: LoggingState };

/**
 * Configures the server's logs, once per process: JSON lines on stdout (pretty on a terminal, or as
 * `format` says), every secret redacted by field name and by shape (redaction.ts), with the implicit
 * context (`withLogContext`: request, agent, command ids) on every line. Without options, a process
 * already configured is left as it is; with options (boot's REDFLAG_LOG_FORMAT, a test's capture) it
 * is configured again.
 */
export function configureServerLogging(options?: LoggingOptions): void {
  const state = store[key];
  if (state && !options) return;
  const next: LoggingState = state
    ? { ...state, options: options ?? {} }
    : { options: options ?? {}, debugRequests: new Set(), level: "info", context: new AsyncLocalStorage() };
  store[key] = next;
  apply(next);
}

function apply(state: LoggingState) {
  const format = state.options.format ?? (process.stdout.isTTY ? "pretty" : "json");
  const formatter: TextFormatter = redactByPattern(
    format === "pretty" ? getPrettyFormatter({ properties: true }) : getJsonLinesFormatter(),
    secretPatterns,
  );
  const write = state.options.write ?? ((line: string) => process.stdout.write(line));
  const sink = redactByField((record) => write(formatter(plainMessage(record))), {
    fieldPatterns: secretFields,
    action: redactValue,
  });
  configureSync({
    reset: true,
    contextLocalStorage: state.context,
    sinks: { out: sink },
    loggers: [
      { category: ["redflag"], lowestLevel: state.level, sinks: ["out"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["out"] },
    ],
  });
}

/**
 * The message rendered with its string values as they are (`database: embedded PGlite in /data`),
 * not JSON-quoted as the formatters would; other values as JSON. Properties keep every value.
 */
function plainMessage(record: LogRecord): LogRecord {
  if (record.message.length === 1) return record;
  let text = "";
  record.message.forEach((part, index) => {
    text += index % 2 === 0 || typeof part === "string" ? String(part) : renderValue(part);
  });
  return { ...record, message: [text] };
}

function renderValue(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * `requester` (a server's debug mode) wants debug logs, or no longer does. The level is debug while
 * anyone wants it, info otherwise; it changes at once for every logger of the process.
 */
export function requestDebugLogging(requester: object, on: boolean): void {
  configureServerLogging();
  const state = store[key];
  if (!state) return;
  if (on) state.debugRequests.add(requester);
  else state.debugRequests.delete(requester);
  const level: LogLevel = state.debugRequests.size > 0 ? "debug" : "info";
  if (level === state.level) return;
  state.level = level;
  apply(state);
  // Only at debug: every statement timed and logged. Otherwise the query path is left as it was.
  observeQueries(level === "debug" ? logQuery : null);
}

const sqlLog = serverLogger("sql");

function logQuery(query: TimedQuery) {
  // The statement and its duration; never its parameters (hashes, settings, secrets).
  sqlLog.debug("SQL {durationMs} ms: {sql}", {
    sql: query.sql,
    durationMs: Math.round(query.durationMs * 100) / 100,
    parameterCount: query.parameterCount,
    failed: query.failed,
  });
}

/** Whether debug lines are written now: checked before building anything costly for them. */
export function isDebugLogging(): boolean {
  return store[key]?.level === "debug";
}

/** A logger under the server's "redflag" category. */
export function serverLogger(...category: string[]): Logger {
  return getLogger(["redflag", ...category]);
}

/** Every line logged while `run` runs (awaited calls included) carries `properties`. */
export function withLogContext<T>(properties: Record<string, unknown>, run: () => T): T {
  return withContext(properties, run);
}

/**
 * An error as log properties: its name, message, code and stack, and its causes in turn (a database
 * error under a tRPC error under an app error), never `[object Object]`.
 */
export function errorProperties(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: typeof error === "string" ? error : safeText(error) };
  const described: Record<string, unknown> = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") described.code = code;
  if (error.stack) described.stack = error.stack;
  if (error instanceof AggregateError && depth < 5) {
    described.errors = error.errors.slice(0, 5).map((inner: unknown) => errorProperties(inner, depth + 1));
  }
  if (error.cause !== undefined && depth < 5) described.cause = errorProperties(error.cause, depth + 1);
  return described;
}

function safeText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
