/** One package's `apt-cache policy` block. */
export type PackagePolicy = {
  packageName: string;
  installed: string | null;
  candidate: string | null;
  /** Versions apt can install, with where each comes from (`/var/lib/dpkg/status` = only installed). */
  versions: { version: string; sources: string[] }[];
};

/** Parses `apt-cache policy PKG…` (LANG=C). */
export function parsePolicy(output: string): PackagePolicy[] {
  const policies: PackagePolicy[] = [];
  let current: PackagePolicy | null = null;
  let version: { version: string; sources: string[] } | null = null;
  for (const line of output.split("\n")) {
    const header = /^(\S+):$/.exec(line);
    if (header) {
      current = { packageName: header[1] ?? "", installed: null, candidate: null, versions: [] };
      policies.push(current);
      version = null;
      continue;
    }
    if (!current) continue;
    const field = /^ {2}(Installed|Candidate): (\S+)$/.exec(line);
    if (field) {
      const value = field[2] === "(none)" ? null : (field[2] ?? null);
      if (field[1] === "Installed") current.installed = value;
      else current.candidate = value;
      continue;
    }
    const versionLine = /^ (?:\*\*\*| {3}) (\S+) -?\d+$/.exec(line);
    if (versionLine) {
      version = { version: versionLine[1] ?? "", sources: [] };
      current.versions.push(version);
      continue;
    }
    const sourceLine = /^ {8}-?\d+ (.+)$/.exec(line);
    if (sourceLine && version) version.sources.push(sourceLine[1] ?? "");
  }
  return policies;
}

/** Whether a version is in some archive apt knows, not only in the dpkg database. */
export function isInArchive(policy: PackagePolicy, version: string): boolean {
  const entry = policy.versions.find((candidate) => candidate.version === version);
  return entry?.sources.some((source) => !source.endsWith("/dpkg/status")) ?? false;
}
