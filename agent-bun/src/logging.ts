import { configureSync, getLogger, getTextFormatter, type Logger, type LogLevel } from "@logtape/logtape";

/** Daemon logs: one text line per record on stderr (journald or the service manager keeps them). */
export function setUpLogging(lowestLevel: LogLevel = "info") {
  const format = getTextFormatter({ value: "bare" });
  configureSync({
    reset: true,
    sinks: { stderr: (record) => process.stderr.write(format(record)) },
    loggers: [
      { category: ["redflag"], lowestLevel, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

export function logger(...category: string[]): Logger {
  return getLogger(["redflag", ...category]);
}
