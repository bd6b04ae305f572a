import { configureSync, getLogger, getTextFormatter, type Logger, type LogLevel } from "@logtape/logtape";

/**
 * Daemon logs: one text line per record on stderr (journald keeps them), or through `write` where
 * nothing reads stderr (a Windows service has none: see service/windows/run-service.ts).
 */
export function setUpLogging(
  lowestLevel: LogLevel = "info",
  write: (text: string) => unknown = (text) => process.stderr.write(text),
) {
  const format = getTextFormatter({ value: "bare" });
  configureSync({
    reset: true,
    sinks: { stderr: (record) => write(format(record)) },
    loggers: [
      { category: ["redflag"], lowestLevel, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

export function logger(...category: string[]): Logger {
  return getLogger(["redflag", ...category]);
}
