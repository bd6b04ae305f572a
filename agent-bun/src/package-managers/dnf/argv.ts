import { AgentError } from "../../errors.ts";
import { assertRpmPackageName, isRpmArchitecture, isRpmEvr } from "./names.ts";

/** Where and how dnf runs; everything but `program` is for isolated roots (tests, containers). */
export type DnfOptions = {
  /** `dnf` (dnf4 or dnf5, whichever the host has) unless told otherwise. */
  program?: string;
  configFile?: string;
  installRoot?: string;
  releaseVersion?: string;
  reposDir?: string;
  /** Plugins to leave out, e.g. Debian's `local` plugin, which wants a repository of its own. */
  disablePlugins?: readonly string[];
  /** Expire the metadata cache first (after a repository changed). */
  refresh?: boolean;
  /** The download profile's `--setopt` options (throttle, proxy). */
  downloadOptions?: readonly string[];
};

export type RpmOptions = { program?: string; root?: string };

function dnfPrefix(options: DnfOptions): string[] {
  const argv = [options.program ?? "dnf"];
  if (options.configFile !== undefined) argv.push("-c", options.configFile);
  if (options.installRoot !== undefined) argv.push(`--installroot=${options.installRoot}`);
  if (options.releaseVersion !== undefined) argv.push(`--releasever=${options.releaseVersion}`);
  if (options.reposDir !== undefined) argv.push(`--setopt=reposdir=${options.reposDir}`);
  for (const plugin of options.disablePlugins ?? []) argv.push(`--disableplugin=${plugin}`);
  argv.push(...(options.downloadOptions ?? []));
  // A repository that cannot be read must fail the scan: a partial list would close open updates.
  argv.push("--setopt=skip_if_unavailable=False");
  if (options.refresh === true) argv.push("--refresh");
  return argv;
}

/** `dnf check-update`: exit 100 with a list, 0 with none, 1 on error. */
export function checkUpdateArgv(options: DnfOptions = {}): string[] {
  return [...dnfPrefix(options), "check-update"];
}

export type UpdateinfoFilter = { securityOnly?: boolean };

/** `dnf updateinfo list [--security]`: one line per (advisory, package) for available updates. */
export function updateinfoListArgv(options: DnfOptions = {}, filter: UpdateinfoFilter = {}): string[] {
  return [
    ...dnfPrefix(options),
    "updateinfo",
    "list",
    ...(filter.securityOnly === true ? ["--security"] : []),
  ];
}

/** `dnf updateinfo info`: the advisories in full, with their CVE ids and severity. */
export function updateinfoInfoArgv(options: DnfOptions = {}, filter: UpdateinfoFilter = {}): string[] {
  return [
    ...dnfPrefix(options),
    "updateinfo",
    "info",
    ...(filter.securityOnly === true ? ["--security"] : []),
  ];
}

/** `dnf needs-restarting -r` (dnf-plugins-core): exit 1 when a reboot is needed. */
export function needsRestartingArgv(options: DnfOptions = {}): string[] {
  return [...dnfPrefix(options), "needs-restarting", "-r"];
}

/** `dnf versionlock list` (dnf-plugins-core's versionlock plugin): the host's locks and excludes. */
export function versionlockListArgv(options: DnfOptions = {}): string[] {
  return [...dnfPrefix(options), "versionlock", "list"];
}

/** `dnf upgrade -y NAME...`: names are validated and passed after `--`, never as options. */
export function upgradeArgv(names: readonly string[], options: DnfOptions = {}): string[] {
  return [...dnfPrefix(options), "upgrade", "-y", "--", ...names.map(assertRpmPackageName)];
}

/** One line per installed package: name, epoch, version, release, arch, separated by tabs. */
export const rpmQueryFormat = "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n";

/** `rpm -q --qf FORMAT -- NAME...`: the exact installed NEVRAs, to verify an upgrade. */
export function rpmQueryArgv(names: readonly string[], options: RpmOptions = {}): string[] {
  const argv = [options.program ?? "rpm"];
  if (options.root !== undefined) argv.push(`--root=${options.root}`);
  argv.push("-q", "--qf", rpmQueryFormat, "--", ...names.map(assertRpmPackageName));
  return argv;
}

/** `name-[epoch:]version-release.arch` from validated parts: a precise target, never a glob. */
export function nevraArgument(name: string, evr: string, arch: string): string {
  assertRpmPackageName(name);
  if (!isRpmEvr(evr) || !isRpmArchitecture(arch)) {
    throw new AgentError(`${JSON.stringify(`${evr}.${arch}`.slice(0, 80))} is not an rpm version and arch`, {
      source: "dnf",
      kind: "invalid_input",
      operation: "validate package version",
    });
  }
  return `${name}-${evr}.${arch}`;
}

const transactionModes = {
  apply: ["-y"],
  "dry-run": ["--assumeno"],
  // keepcache: dnf otherwise keeps what --downloadonly fetched only until the next successful
  // transaction of any package, so an unrelated install before the window would delete it.
  "download-only": ["-y", "--downloadonly", "--setopt=keepcache=True"],
} as const;

/**
 * `dnf upgrade|downgrade [-y|--assumeno] -- NEVRA...`: the exact versions the scan offered (a newer
 * build published since is not installed behind the admin's back). `--assumeno` is the dry run:
 * dnf resolves and prints the transaction, then stops. `download-only` fetches the transaction's
 * packages into dnf's cache and installs nothing.
 */
export function transactionArgv(
  action: "upgrade" | "downgrade",
  nevras: readonly string[],
  options: DnfOptions = {},
  mode: keyof typeof transactionModes = "apply",
): string[] {
  return [...dnfPrefix(options), action, ...transactionModes[mode], "--", ...nevras];
}

/** `dnf repoquery --quiet NEVRA`: prints the package when a repository still offers that version. */
export function repoqueryArgv(nevra: string, options: DnfOptions = {}): string[] {
  return [...dnfPrefix(options), "repoquery", "--quiet", "--", nevra];
}
