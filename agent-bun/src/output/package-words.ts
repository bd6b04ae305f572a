import type { PackageType, ScanItem } from "@redflag/contracts";

type Words = Pick<ScanItem, "packageName" | "target" | "metadata">;

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === "string") : [];
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** A digest as people read it: `sha256:` and the first 12 hex digits. */
export function shortDigest(digest: string): string {
  return /^sha256:[0-9a-f]{64}$/.test(digest) ? digest.slice(0, 19) : digest;
}

/** A version in a type's own words: Docker's `tag@digest` and digests shortened. */
export function versionWords(packageType: PackageType, version: string | null): string {
  if (version === null) return "-";
  if (packageType !== "docker") return version;
  const at = version.indexOf("@");
  return at < 0 ? shortDigest(version) : `${version.slice(0, at)} ${shortDigest(version.slice(at + 1))}`;
}

/** The name each type goes by: `name.arch` for rpm, `image:tag` for Docker, the KB id, the winget id. */
export function packageWords(packageType: PackageType, item: Words): string {
  switch (packageType) {
    case "dnf":
      return item.target === "" ? item.packageName : `${item.packageName}.${item.target}`;
    case "docker":
      return item.target === "" ? item.packageName : `${item.packageName}:${item.target}`;
    default:
      return item.packageName;
  }
}

/** What else identifies an update: NEVRA and advisories, newer image tags, the update's title. */
export function detailWords(packageType: PackageType, item: Words & Pick<ScanItem, "cves">): string {
  const metadata = item.metadata;
  switch (packageType) {
    case "dnf": {
      const advisories = Array.isArray(metadata.advisories)
        ? metadata.advisories.map((advisory) => text((advisory as { id?: unknown }).id)).filter(Boolean)
        : [];
      return [text(metadata.nevra), ...advisories, ...item.cves].filter(Boolean).join(" ");
    }
    case "docker": {
      const newer = strings(metadata.newerTags);
      const containers = strings(metadata.containers);
      return [
        newer.length > 0 ? `newer tags: ${newer.slice(0, 3).join(", ")}` : null,
        containers.length > 0 ? `containers: ${containers.join(", ")}` : null,
      ]
        .filter(Boolean)
        .join("; ");
    }
    case "windows_update":
      return [text(metadata.title), ...item.cves].filter(Boolean).join(" ");
    case "winget":
      return text(metadata.name) ?? "";
    default:
      return item.cves.join(" ");
  }
}
