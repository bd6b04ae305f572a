import { AgentError } from "../../errors.ts";
import { isPackageName } from "./package-name.ts";
import { type AptSettings, aptFailure, runApt } from "./run.ts";

/**
 * `apt-mark showhold`: the packages whose dpkg selection is `hold` (set by `apt-mark hold` or
 * `dpkg --set-selections`), which apt will not upgrade. It reads the same dpkg database as the rest
 * of the scan, so an isolated root's holds are its own.
 */
export const showHoldArgv = ["apt-mark", "showhold"];

/** One name a line; `name:arch` for a package of a foreign architecture. Anything else is refused. */
export function parseShowHold(output: string): Set<string> {
  const held = new Set<string>();
  for (const raw of output.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (!isPackageName(line)) {
      throw new AgentError(`unexpected output: ${JSON.stringify(line.slice(0, 200))}`, {
        source: "apt",
        kind: "unrecognized",
        operation: "apt-mark showhold",
      });
    }
    held.add(line);
  }
  return held;
}

export async function aptHeldPackages(settings: AptSettings): Promise<Set<string>> {
  const result = await runApt(settings, showHoldArgv);
  if (result.exitCode !== 0) throw aptFailure(result, "apt-mark showhold");
  return parseShowHold(result.stdout);
}

/** Held by name, or by `name:arch` (how apt-mark names a package of another architecture). */
export function isHeld(held: ReadonlySet<string>, packageName: string, architecture?: string): boolean {
  return held.has(packageName) || (architecture !== undefined && held.has(`${packageName}:${architecture}`));
}

/** What an install of a held package reports: apt refuses it, and the agent never overrides the host. */
export function heldMessage(packageName: string): string {
  return `${packageName} is held on the host (apt-mark hold); unhold it there (apt-mark unhold ${packageName}) to install this update`;
}
