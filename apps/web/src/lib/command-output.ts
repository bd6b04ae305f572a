/** apt's and dpkg's progress counters: "(Reading database ... 5%", "Progress: [ 40%]" — noise once finished. */
const progressLine =
  /^\s*(\(Reading database \.\.\.\s*(\d+%|\d+ files and directories currently installed\.)\)?|Progress: \[\s*\d+%\].*)\s*$/;

/**
 * A command's output as it reads best: each carriage-return-redrawn line as it ended, and without the
 * package managers' percentage counters (the log by attempt keeps the progress).
 */
export function withoutProgressNoise(output: string): string {
  return output
    .split("\n")
    .map((line) => line.split("\r").filter(Boolean).at(-1) ?? "")
    .filter((line) => !progressLine.test(line))
    .join("\n");
}
