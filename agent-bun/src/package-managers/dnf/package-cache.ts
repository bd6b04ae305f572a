import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { DnfOptions } from "./argv.ts";
import { parseEvr } from "./names.ts";

/** dnf4's and dnf5's cache directories when the config names none (for root, as the agent runs). */
const defaultCacheDirectories = ["/var/cache/dnf", "/var/cache/libdnf5"];

/**
 * Where dnf keeps its repositories' metadata and packages, found as dnf does: `cachedir` from the
 * `[main]` section of the config file (`-c`, else the install root's own `/etc/dnf/dnf.conf` when it
 * has one, else the host's), `$releasever` substituted, under the install root.
 * Candidates, as the default differs between dnf4 and dnf5.
 */
export function dnfCacheDirectories(options: DnfOptions): string[] {
  const root = options.installRoot ?? "/";
  const configFile =
    options.configFile ??
    [join(root, "etc/dnf/dnf.conf"), "/etc/dnf/dnf.conf"].find((file) => existsSync(file)) ??
    null;
  const configured = configFile === null ? null : mainOption(readText(configFile), "cachedir");
  const directories = configured === null ? defaultCacheDirectories : [configured];
  return directories.map((directory) =>
    join(
      root,
      options.releaseVersion === undefined
        ? directory
        : directory.replaceAll(/\$\{?releasever\}?/g, options.releaseVersion),
    ),
  );
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** One option of an INI file's `[main]` section (the last one wins, as in dnf), or null. */
export function mainOption(text: string, name: string): string | null {
  let section = "";
  let value: string | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1]?.trim() ?? "";
      continue;
    }
    if (section !== "main" || line.startsWith("#") || line.startsWith(";")) continue;
    const option = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/.exec(line);
    if (option && option[1] === name) value = option[2]?.trim() ?? "";
  }
  return value === "" ? null : value;
}

/** The file name a repository gives a build: `name-version-release.arch.rpm` (no epoch). */
export function rpmFileName(name: string, evr: string, arch: string): string | null {
  const parsed = parseEvr(evr);
  return parsed === null ? null : `${name}-${parsed.version}-${parsed.release}.${arch}.rpm`;
}

/** The cached package `<cachedir>/<repo>-<hash>/packages/<file>`, in any of the directories, or null. */
export function cachedRpm(directories: readonly string[], fileName: string): string | null {
  for (const directory of directories) {
    let entries: string[];
    try {
      entries = readdirSync(directory);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const file = join(directory, entry, "packages", fileName);
      if (existsSync(file)) return file;
    }
  }
  return null;
}
