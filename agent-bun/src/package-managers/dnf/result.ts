import { AgentError, tailOfOutput } from "../../errors.ts";

/** What a parser needs from a finished dnf or rpm run. */
export type ToolOutput = { exitCode: number; stdout: string; stderr: string };

/** Messages that point at something passing (network, mirror, lock): worth another try later. */
const transientPatterns = [
  /Curl error/i,
  /Cannot download/i,
  /Failed to download metadata/i,
  /Could not resolve host/i,
  /timed? ?out/i,
  /lock/i,
  /Connection refused/i,
];

/** The error for a dnf run that failed: its last lines, and whether another try may succeed. */
export function dnfFailure(operation: string, output: ToolOutput): AgentError {
  const detail = tailOfOutput(output.stderr) || tailOfOutput(output.stdout) || "(no output)";
  if (output.exitCode === 127 || /command not found|No such file or directory/.test(output.stderr)) {
    return new AgentError(`dnf is not available: ${detail}`, {
      source: "dnf",
      kind: "missing",
      operation,
    });
  }
  if (/No such command|Unknown argument|unrecognized arguments|invalid choice/i.test(output.stderr)) {
    return new AgentError(`dnf does not know this command: ${detail}`, {
      source: "dnf",
      kind: "failed",
      operation,
      retryable: false,
    });
  }
  const retryable = transientPatterns.some((pattern) => pattern.test(output.stderr));
  return new AgentError(`exited with ${output.exitCode}: ${detail}`, {
    source: "dnf",
    kind: "failed",
    operation,
    retryable,
  });
}

/** Lines dnf4 and dnf5 print around the data: metadata freshness, repository loading, progress. */
export function isNoiseLine(line: string): boolean {
  const trimmed = line.trim();
  return (
    trimmed === "" ||
    /^Last metadata expiration check/.test(trimmed) ||
    /^Updating and loading repositories:?$/.test(trimmed) ||
    /^Repositories loaded\.?$/.test(trimmed) ||
    /^Updating Subscription Management repositories\.?$/.test(trimmed) ||
    /^Unable to read consumer identity/.test(trimmed) ||
    // Another dnf holds the lock; dnf4 waits and says so on stdout.
    /^Waiting for process with pid \d+ to finish\.?$/.test(trimmed) ||
    /^This system is not registered/.test(trimmed) ||
    /^Security: .* is (an installed security update|the currently running version)$/.test(trimmed) ||
    // Repository download progress: "rf test   185 kB/s | 1.8 kB  00:00" (dnf4) or "100% | 1.8 KiB/s | …" (dnf5).
    /\|\s*[\d.]+\s*[kMG]?i?B(\/s)?\s*(\||\d\d:\d\d|\d+m\d+s)/i.test(trimmed) ||
    /\b\d+(\.\d+)?\s*[kMG]?i?B\/s\s*\|/i.test(trimmed)
  );
}
