import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Origin } from "./parse.ts";

/**
 * The archives apt knows, read from the Release files `apt-get update` keeps in its lists directory:
 * a scan learns each candidate's label (`Debian-Security`) and release from them instead of running
 * an `apt-get -s dist-upgrade` simulation, which costs as much as the listing itself.
 */
export type Archive = { origin: string; label: string; suite: string; codename: string; version: string };

/** Prints `LISTS='/var/lib/apt/lists/'`: the lists directory as this apt configuration has it. */
export const aptListsDirectoryArgv = ["apt-config", "shell", "LISTS", "Dir::State::lists/d"];

/** The directory from `apt-config shell`'s output, or null when it names none. */
export function parseListsDirectory(output: string): string | null {
  const match = /^LISTS='((?:[^']|'\\'')*)'$/m.exec(output.trim());
  const directory = match?.[1]?.replaceAll("'\\''", "'");
  return directory?.startsWith("/") ? directory : null;
}

/** A Release file's header is small; anything far larger is not one and is skipped. */
const maxReleaseBytes = 4 * 1024 * 1024;

/** Every `*_Release` / `*_InRelease` in the lists directory; a file that cannot be read is left out. */
export function readArchives(listsDirectory: string): Archive[] {
  let names: string[];
  try {
    names = readdirSync(listsDirectory);
  } catch {
    return [];
  }
  const archives: Archive[] = [];
  for (const name of names) {
    if (!name.endsWith("_Release") && !name.endsWith("_InRelease")) continue;
    try {
      const text = readFileSync(join(listsDirectory, name), "utf8");
      if (text.length <= maxReleaseBytes) {
        const archive = parseReleaseHeader(text);
        if (archive) archives.push(archive);
      }
    } catch {
      // Removed by a concurrent `apt-get update`, or not a file: its archive is simply not known.
    }
  }
  return archives;
}

/** The fields of a Release (or clear-signed InRelease) file's first paragraph; null without a Suite. */
export function parseReleaseHeader(text: string): Archive | null {
  const lines = text.split("\n");
  let index = 0;
  // InRelease: "-----BEGIN PGP SIGNED MESSAGE-----", armor headers ("Hash: …"), a blank line.
  if (lines[0]?.startsWith("-----BEGIN PGP SIGNED MESSAGE-----")) {
    index = lines.findIndex((line) => line.trim() === "") + 1;
    if (index === 0) return null;
  }
  const fields = new Map<string, string>();
  for (; index < lines.length; index++) {
    const line = lines[index]?.trimEnd() ?? "";
    if (line === "") break;
    if (line.startsWith(" ")) continue;
    const match = /^([A-Za-z][A-Za-z0-9-]*):\s?(.*)$/.exec(line);
    if (!match) return null;
    const [, key = "", value = ""] = match;
    fields.set(key.toLowerCase(), value.trim());
  }
  const suite = fields.get("suite") ?? "";
  if (suite === "") return null;
  return {
    origin: fields.get("origin") ?? "",
    label: fields.get("label") ?? "",
    suite,
    codename: fields.get("codename") ?? "",
    version: fields.get("version") ?? "",
  };
}

/**
 * The origins of a candidate `apt list --upgradable` names by suite, as `apt-get -s` prints them
 * (`Label:Version/Suite`). A suite that two archives with different labels or versions share cannot be
 * told apart without the simulation: it keeps its bare name, and no label is guessed for it.
 */
export function originsOfSuites(suites: string[], archives: Archive[]): Origin[] {
  return suites.map((suite) => {
    const matching = archives.filter((archive) => archive.suite === suite);
    const distinct = new Set(matching.map((archive) => `${archive.label}\n${archive.version}`));
    const archive = matching[0];
    return archive && distinct.size === 1
      ? { label: archive.label, release: archive.version, suite }
      : { label: "", release: "", suite };
  });
}
