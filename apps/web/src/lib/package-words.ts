import type { PackageType } from "@redflag/contracts";

/** What the updates table needs to name an update the way people of each platform name it. */
export type UpdateWords = {
  /** dpkg name, `name.arch` for RPM, `image:tag`, the KB id, the winget id. */
  name: string;
  /** The platform's own long form: NEVRA with advisories, newer image tags, the update's title. */
  detail: string | null;
  currentVersion: string;
  availableVersion: string;
};

type WordsInput = {
  packageType: PackageType;
  packageName: string;
  target: string;
  currentVersion: string | null;
  availableVersion: string;
  metadata: Record<string, unknown>;
};

const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);
const texts = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];

/** `sha256:0123456789ab…` → `sha256:0123456789ab`: the 12 hex digits Docker itself shows. */
export function shortDigest(version: string): string {
  return version.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, "sha256:$1");
}

export function updateWords(update: WordsInput): UpdateWords {
  const current = update.currentVersion ?? "—";
  switch (update.packageType) {
    case "dnf": {
      const advisories = Array.isArray(update.metadata.advisories)
        ? update.metadata.advisories
            .map((advisory) =>
              advisory && typeof advisory === "object" ? text((advisory as { id?: unknown }).id) : null,
            )
            .filter((id): id is string => id !== null)
        : [];
      const nevra = text(update.metadata.nevra);
      const detail = [nevra, ...advisories].filter(Boolean).join(" · ");
      return {
        name: update.target ? `${update.packageName}.${update.target}` : update.packageName,
        detail: detail || null,
        currentVersion: current,
        availableVersion: update.availableVersion,
      };
    }
    case "docker": {
      const newer = texts(update.metadata.newerTags);
      const containers = texts(update.metadata.containers);
      const parts = [
        newer.length > 0 ? `newer tags: ${newer.slice(0, 3).join(", ")}` : null,
        containers.length > 0 ? `containers: ${containers.slice(0, 3).join(", ")}` : null,
      ].filter(Boolean);
      return {
        name: update.target ? `${update.packageName}:${update.target}` : update.packageName,
        detail: parts.length > 0 ? parts.join(" · ") : null,
        currentVersion: shortDigest(current),
        availableVersion: shortDigest(update.availableVersion),
      };
    }
    case "windows_update":
      return {
        name: update.packageName,
        detail: text(update.metadata.title),
        currentVersion: current,
        availableVersion: update.availableVersion,
      };
    case "winget":
      return {
        name: update.packageName,
        detail: text(update.metadata.name),
        currentVersion: current,
        availableVersion: update.availableVersion,
      };
    case "apt":
      return {
        name: update.target ? `${update.packageName}:${update.target}` : update.packageName,
        detail: null,
        currentVersion: current,
        availableVersion: update.availableVersion,
      };
  }
}
