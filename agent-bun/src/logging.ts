import { AsyncLocalStorage } from "node:async_hooks";
import {
  configureSync,
  getLogger,
  getTextFormatter,
  type Logger,
  type LogLevel,
  type LogRecord,
  withContext,
} from "@logtape/logtape";

/** Ids that name a call or a command: written on every line that carries them, so one grep finds its path. */
const traceKeys = ["commandId", "agentId", "requestId"] as const;

type LoggingState = {
  /** The level the agent was started with. */
  baseLevel: LogLevel;
  /** The server's debug mode asked for debug lines (check-in answer `debugLogging`). */
  serverDebug: boolean;
  write: (text: string) => unknown;
};

let state: LoggingState = {
  baseLevel: "info",
  serverDebug: false,
  write: (text) => process.stderr.write(text),
};
const contextLocalStorage = new AsyncLocalStorage<Record<string, unknown>>();

/**
 * Daemon logs: one text line per record on stderr (journald keeps them), or through `write` where
 * nothing reads stderr (a Windows service has none: see service/windows/run-service.ts). A line that
 * carries a command, agent or request id (`withLogContext`) ends with them.
 */
export function setUpLogging(
  lowestLevel: LogLevel = "info",
  write: (text: string) => unknown = (text) => process.stderr.write(text),
) {
  state = { baseLevel: lowestLevel, serverDebug: false, write };
  apply();
}

function apply() {
  const format = getTextFormatter({ value: "bare" });
  const lowestLevel: LogLevel = state.serverDebug ? "debug" : state.baseLevel;
  const write = state.write;
  configureSync({
    reset: true,
    contextLocalStorage,
    sinks: { stderr: (record) => write(withTrace(format(record), record)) },
    loggers: [
      { category: ["redflag"], lowestLevel, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

function withTrace(line: string, record: LogRecord): string {
  const trace = traceKeys
    .filter((key) => typeof record.properties[key] === "string")
    .map((key) => `${key}=${String(record.properties[key])}`);
  if (trace.length === 0) return line;
  return `${line.replace(/\n$/, "")} [${trace.join(" ")}]\n`;
}

/**
 * The server's debug mode, as its check-in answer says: debug lines while it is on, the agent's own
 * level again once it is off. True when this changed the level.
 */
export function followServerDebug(on: boolean): boolean {
  if (on === state.serverDebug) return false;
  state = { ...state, serverDebug: on };
  apply();
  return true;
}

export function logger(...category: string[]): Logger {
  return getLogger(["redflag", ...category]);
}

/** Every line logged while `run` runs (awaited calls included) carries `properties`. */
export function withLogContext<T>(properties: Record<string, unknown>, run: () => T): T {
  return withContext(properties, run);
}
