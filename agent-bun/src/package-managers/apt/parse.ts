import { isPackageName, isPackageVersion } from "./package-name.ts";

/** One line of `apt list --upgradable`. */
export type UpgradableLine = {
  packageName: string;
  suites: string[];
  availableVersion: string;
  architecture: string;
  currentVersion: string;
};

/** An archive a candidate comes from, as `apt-get -s` prints it: `Label:version/suite`. */
export type Origin = { label: string; release: string; suite: string };

/** One action of an `apt-get -s` simulation. */
export type SimulatedAction =
  | {
      action: "install" | "upgrade" | "downgrade" | "reinstall";
      packageName: string;
      currentVersion: string | null;
      newVersion: string;
      origins: Origin[];
      architecture: string;
    }
  | { action: "remove"; packageName: string; currentVersion: string | null };

export type ParseProblem = { line: string; reason: string };

const upgradableLine = /^(\S+?)\/(\S+) (\S+) (\S+) \[upgradable from: ([^\]\s]+)\]$/;

/** Parses `apt list --upgradable` (LANG=C). Lines that do not fit are returned as problems, never guessed at. */
export function parseUpgradableList(output: string): { items: UpgradableLine[]; problems: ParseProblem[] } {
  const items: UpgradableLine[] = [];
  const problems: ParseProblem[] = [];
  for (const raw of output.split("\n")) {
    const line = raw.trimEnd();
    if (line === "" || line === "Listing..." || line.startsWith("WARNING:")) continue;
    const match = upgradableLine.exec(line);
    if (!match) {
      problems.push({ line, reason: "not an `apt list --upgradable` line" });
      continue;
    }
    const [, packageName = "", suites = "", availableVersion = "", architecture = "", currentVersion = ""] =
      match;
    const problem = checkNameAndVersions(packageName, [availableVersion, currentVersion]);
    if (problem) {
      problems.push({ line, reason: problem });
      continue;
    }
    items.push({
      packageName,
      suites: suites.split(",").filter((suite) => suite !== "" && suite !== "now"),
      availableVersion,
      architecture,
      currentVersion,
    });
  }
  return { items, problems };
}

const instLine = /^Inst (\S+) (?:\[([^\]]+)\] )?\((\S+) (.*) \[([^\]]+)\]\)(?: \[.*\])?$/;
const remvLine = /^Remv (\S+)(?: \[([^\]]+)\])?(?: \[.*\])?$/;

/** Parses the `Inst`/`Remv` lines of `apt-get -s` output; other lines (Conf, headers) are skipped. */
export function parseSimulation(output: string): { actions: SimulatedAction[]; problems: ParseProblem[] } {
  const actions: SimulatedAction[] = [];
  const problems: ParseProblem[] = [];
  for (const raw of output.split("\n")) {
    const line = raw.trimEnd();
    if (line.startsWith("Inst ")) {
      const match = instLine.exec(line);
      if (!match) {
        problems.push({ line, reason: "not an `Inst` line" });
        continue;
      }
      const [, packageName = "", current, newVersion = "", originText = "", architecture = ""] = match;
      const problem = checkNameAndVersions(packageName, [newVersion, ...(current ? [current] : [])]);
      if (problem) {
        problems.push({ line, reason: problem });
        continue;
      }
      actions.push({
        action: current ? "upgrade" : "install",
        packageName,
        currentVersion: current ?? null,
        newVersion,
        origins: parseOrigins(originText),
        architecture,
      });
    } else if (line.startsWith("Remv ")) {
      const match = remvLine.exec(line);
      const packageName = match?.[1] ?? "";
      if (!match || !isPackageName(packageName)) {
        problems.push({ line, reason: "not a `Remv` line" });
        continue;
      }
      actions.push({ action: "remove", packageName, currentVersion: match[2] ?? null });
    }
  }
  return { actions, problems };
}

/**
 * `Debian:12.15/oldstable, Debian-Security:12/oldstable-security` → origins. apt prints each
 * archive as `[Label:][Version/]Suite`, leaving out the parts the Release file lacks.
 */
export function parseOrigins(text: string): Origin[] {
  const origins: Origin[] = [];
  for (const part of text.split(", ")) {
    const trimmed = part.trim();
    if (trimmed === "") continue;
    const colon = trimmed.indexOf(":");
    const label = colon >= 0 ? trimmed.slice(0, colon) : "";
    const rest = colon >= 0 ? trimmed.slice(colon + 1) : trimmed;
    const slash = rest.lastIndexOf("/");
    origins.push({
      label,
      release: slash >= 0 ? rest.slice(0, slash) : "",
      suite: slash >= 0 ? rest.slice(slash + 1) : rest,
    });
  }
  return origins;
}

/** Security means the candidate comes from a `*-security` suite or a `*-Security` labelled archive. */
export function isSecuritySuite(suite: string): boolean {
  return /-security$/i.test(suite);
}

export function isSecurityOrigin(origin: Origin): boolean {
  return isSecuritySuite(origin.suite) || /(^|-)security$/i.test(origin.label);
}

function checkNameAndVersions(packageName: string, versions: string[]): string | null {
  if (!isPackageName(packageName)) return `invalid package name ${JSON.stringify(packageName)}`;
  for (const version of versions) {
    if (!isPackageVersion(version)) return `invalid version ${JSON.stringify(version)}`;
  }
  return null;
}
