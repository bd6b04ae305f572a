import type { PackageType } from "./enums.ts";
import { readPackageMetadata } from "./package-metadata.ts";

/** An update named the way people of each package manager name it; the CLI table and the dashboard share it. */
export type UpdateWords = {
  /** dpkg name, `name.arch` for RPM, `image:tag`, the KB id, the winget id. */
  name: string;
  /** The manager's own long form: NEVRA with advisories, newer image tags, the update's title; null when none. */
  detail: string | null;
  /** null when nothing is installed yet. */
  currentVersion: string | null;
  availableVersion: string;
};

export type WordsInput = {
  packageType: PackageType;
  packageName: string;
  target: string;
  currentVersion: string | null;
  availableVersion: string;
  metadata: Record<string, unknown>;
};

/** `sha256:` and 64 hex digits → the 12 digits Docker itself shows, wherever it appears in the text. */
export function shortDigest(version: string): string {
  return version.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, "sha256:$1");
}

const joined = (parts: (string | null | undefined)[]): string | null =>
  parts.filter((part): part is string => typeof part === "string" && part !== "").join(" · ") || null;

export function updateWords(update: WordsInput): UpdateWords {
  const typed = readPackageMetadata(update.packageType, update.metadata);
  const plain = { currentVersion: update.currentVersion, availableVersion: update.availableVersion };
  switch (typed.packageType) {
    case "dnf": {
      const nevra = update.target
        ? `${update.packageName}-${update.availableVersion}.${update.target}`
        : `${update.packageName}-${update.availableVersion}`;
      return {
        name: update.target ? `${update.packageName}.${update.target}` : update.packageName,
        detail: joined([nevra, ...(typed.metadata.advisories ?? []).map((advisory) => advisory.id)]),
        ...plain,
      };
    }
    case "docker": {
      const newer = typed.metadata.newerTags ?? [];
      const containers = typed.metadata.containers ?? [];
      return {
        name: update.target ? `${update.packageName}:${update.target}` : update.packageName,
        detail: joined([
          newer.length > 0 ? `newer tags: ${newer.slice(0, 3).join(", ")}` : null,
          containers.length > 0 ? `containers: ${containers.slice(0, 3).join(", ")}` : null,
        ]),
        currentVersion: update.currentVersion === null ? null : shortDigest(update.currentVersion),
        availableVersion: shortDigest(update.availableVersion),
      };
    }
    case "windows_update":
      return { name: update.packageName, detail: joined([typed.metadata.title]), ...plain };
    case "winget":
      return { name: update.packageName, detail: joined([typed.metadata.name]), ...plain };
    case "apt":
      return {
        name: update.target ? `${update.packageName}:${update.target}` : update.packageName,
        detail: null,
        ...plain,
      };
  }
}
