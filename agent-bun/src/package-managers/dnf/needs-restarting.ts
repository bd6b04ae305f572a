import { AgentError, tailOfOutput } from "../../errors.ts";
import type { ToolOutput } from "./result.ts";

/**
 * Reads `dnf needs-restarting -r` (run with LC_ALL=C). Exit 1 with "Reboot is required" means a
 * reboot is needed; exit 0 means none. Exit 1 without that message is an error (dnf also exits 1
 * when the plugin is missing), as is any other code.
 */
export function parseNeedsRestarting(output: ToolOutput): boolean {
  const operation = "dnf needs-restarting -r";
  const text = `${output.stdout}\n${output.stderr}`;
  if (output.exitCode === 0 && !/Reboot is required/i.test(output.stdout)) return false;
  if (output.exitCode === 1 && /Reboot is required/i.test(text)) return true;
  const missingPlugin = /No such command|Unknown argument|unrecognized arguments/i.test(text);
  throw new AgentError(
    `${missingPlugin ? "the needs-restarting plugin (dnf-plugins-core) is not installed" : `exited with ${output.exitCode}`}: ${tailOfOutput(text) || "no output"}`,
    { source: "dnf", kind: missingPlugin ? "missing" : "failed", operation, retryable: false },
  );
}

/**
 * The packages `dnf needs-restarting -r` names as updated since boot (`  * kernel-core`), in its
 * order, without repeats: the reasons a reboot is required. dnf4 and dnf5 both list them so.
 */
export function needsRestartingReasons(output: ToolOutput): string[] {
  const names = output.stdout
    .split("\n")
    .map((line) => /^\s*\*\s+(\S.*?)\s*$/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
  return [...new Set(names)];
}

/** The environment dnf and rpm run in: messages in English, so the few we read can be matched. */
export function dnfEnvironment(base: Record<string, string | undefined>): Record<string, string | undefined> {
  return { ...base, LC_ALL: "C.UTF-8", LANG: "C.UTF-8" };
}
