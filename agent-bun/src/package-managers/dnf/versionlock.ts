import { AgentError, tailOfOutput } from "../../errors.ts";
import { type Evr, parseEvr } from "./names.ts";
import { isNoiseLine, type ToolOutput } from "./result.ts";

/**
 * `dnf versionlock list` (dnf-plugins-core): one entry a line, `name-epoch:version-release.arch`
 * with globs (`rf-locked-0:1.0-1.*`), an exclude prefixed with `!`. A lock keeps the package at the
 * versions it names; an exclude keeps it off the version it names.
 */
export type VersionLock = { exclude: boolean; name: RegExp; evrArch: RegExp };

/** The plugin lets dnf hide a locked package's updates; a scan asks without it, then marks them held. */
export const versionlockPlugin = "versionlock";

const entryPattern = /^(!?)(\S+?)-((?:[0-9*?]+:)?[^-\s]+-[^-\s]+)\.([^.\s]+)$/;

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replaceAll("*", ".*")
    .replaceAll("?", ".");
  return new RegExp(`^${escaped}$`);
}

/**
 * Reads `dnf versionlock list` (LC_ALL=C). No plugin (dnf: "No such command: versionlock") means no
 * locks, not an error; a line that is not a lock entry is `unrecognized`, never guessed at.
 */
export function parseVersionlockList(output: ToolOutput): VersionLock[] {
  const operation = "dnf versionlock list";
  if (output.exitCode !== 0) {
    if (/No such command: versionlock|Unknown argument|unrecognized arguments/i.test(output.stderr))
      return [];
    throw new AgentError(`exited with ${output.exitCode}: ${tailOfOutput(output.stderr || output.stdout)}`, {
      source: "dnf",
      kind: "failed",
      operation,
    });
  }
  const locks: VersionLock[] = [];
  for (const raw of output.stdout.split("\n")) {
    const line = raw.trim();
    if (isNoiseLine(line) || line.startsWith("#")) continue;
    const match = entryPattern.exec(line);
    if (!match) {
      throw new AgentError(`unexpected output: ${JSON.stringify(line.slice(0, 200))}`, {
        source: "dnf",
        kind: "unrecognized",
        operation,
      });
    }
    const [, bang = "", name = "", evr = "", arch = ""] = match;
    // An entry without an epoch means any epoch; the version compared always carries one.
    const withEpoch = evr.includes(":") ? evr : `*:${evr}`;
    locks.push({
      exclude: bang === "!",
      name: globToRegExp(name),
      evrArch: globToRegExp(`${withEpoch}.${arch}`),
    });
  }
  return locks;
}

/**
 * Whether the locks keep a package from `available`: an exclude names that version, or locks name the
 * package and none of them that version.
 */
export function isLockedAway(
  locks: VersionLock[],
  name: string,
  available: Evr | string,
  arch: string,
): boolean {
  const evr = typeof available === "string" ? parseEvr(available) : available;
  if (evr === null) return false;
  const candidate = `${evr.epoch}:${evr.version}-${evr.release}.${arch}`;
  const mine = locks.filter((lock) => lock.name.test(name));
  if (mine.some((lock) => lock.exclude && lock.evrArch.test(candidate))) return true;
  const kept = mine.filter((lock) => !lock.exclude);
  return kept.length > 0 && !kept.some((lock) => lock.evrArch.test(candidate));
}

export function versionlockHeldMessage(packageName: string): string {
  return `${packageName} is held on the host (dnf versionlock); remove the lock there (dnf versionlock delete ${packageName}) to install this update`;
}
