import { AgentError, tailOfOutput } from "../../errors.ts";
import {
  compareEvr,
  type Evr,
  formatEvr,
  isRpmArchitecture,
  isRpmPackageName,
  type Nevra,
  parseEvr,
} from "./names.ts";
import type { ToolOutput } from "./result.ts";

export type RpmQueryResult = {
  installed: Nevra[];
  /** Names rpm reported as "package NAME is not installed". */
  notInstalled: string[];
};

const operation = "rpm -q";

/**
 * Reads `rpm -q --qf rpmQueryFormat NAME...`. rpm exits with the number of names it did not find,
 * so a non-zero exit is fine as long as every line is either a package or "is not installed".
 */
export function parseRpmQuery(output: ToolOutput): RpmQueryResult {
  const installed: Nevra[] = [];
  const notInstalled: string[] = [];
  const unrecognizedLines: string[] = [];
  for (const rawLine of output.stdout.split("\n")) {
    const line = rawLine.replace(/\r$/, "");
    if (line.trim() === "") continue;
    const missing = /^package (\S+) is not installed$/.exec(line.trim());
    if (missing?.[1] !== undefined) {
      notInstalled.push(missing[1]);
      continue;
    }
    const fields = line.split("\t");
    const [name = "", epoch = "", version = "", release = "", arch = ""] = fields;
    const evr = parseEvr(`${epoch === "(none)" ? "0" : epoch}:${version}-${release}`);
    // Packages like gpg-pubkey have no arch: rpm prints "(none)".
    const architecture = arch === "(none)" ? "" : arch;
    if (
      fields.length !== 5 ||
      evr === null ||
      !isRpmPackageName(name) ||
      (architecture !== "" && !isRpmArchitecture(architecture))
    ) {
      unrecognizedLines.push(line);
      continue;
    }
    installed.push({ name, arch: architecture, ...evr });
  }
  if (unrecognizedLines.length > 0) {
    throw new AgentError(`unexpected output: ${JSON.stringify(unrecognizedLines.slice(0, 3))}`, {
      source: "dnf",
      kind: "unrecognized",
      operation,
    });
  }
  if (output.exitCode !== notInstalled.length) {
    throw new AgentError(
      `exited with ${output.exitCode}: ${tailOfOutput(output.stderr) || "no error message"}`,
      { source: "dnf", kind: "failed", operation, retryable: /lock/i.test(output.stderr) },
    );
  }
  return { installed, notInstalled };
}

/** The highest installed EVR of `name` (and `arch`, when given): several exist for kernels. */
export function installedEvr(result: RpmQueryResult, name: string, arch?: string): Evr | null {
  let best: Evr | null = null;
  for (const nevra of result.installed) {
    if (nevra.name !== name || (arch !== undefined && nevra.arch !== arch && nevra.arch !== "")) continue;
    if (best === null || compareEvr(nevra, best) > 0) best = nevra;
  }
  return best;
}

/** Whether exactly `name-evr.arch` is installed (the check after an upgrade; epochs count). */
export function isExactlyInstalled(result: RpmQueryResult, name: string, arch: string, evr: string): boolean {
  const wanted = parseEvr(evr);
  if (wanted === null) return false;
  return result.installed.some(
    (nevra) => nevra.name === name && nevra.arch === arch && formatEvr(nevra) === formatEvr(wanted),
  );
}
