import { AgentError } from "../../errors.ts";

/**
 * Characters rpm and Fedora's naming guidelines allow in a package name. A name never starts with
 * `-` (it would read as an option) and never holds glob characters (dnf would expand them).
 */
const packageNamePattern = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/;
const architecturePattern = /^[A-Za-z0-9_]+$/;
/** [epoch:]version-release; version and release are rpm's alphanumerics plus `._+~^`. */
const evrPattern = /^(?:(\d+):)?([A-Za-z0-9._+~^]+)-([A-Za-z0-9._+~^]+)$/;

export function isRpmPackageName(name: string): boolean {
  return name.length > 0 && name.length <= 256 && packageNamePattern.test(name);
}

export function isRpmArchitecture(architecture: string): boolean {
  return architecture.length <= 32 && architecturePattern.test(architecture);
}

export function isRpmEvr(evr: string): boolean {
  return evr.length <= 256 && evrPattern.test(evr);
}

/** Throws an `invalid-input` error unless `name` may be handed to rpm or dnf as an argv element. */
export function assertRpmPackageName(name: string): string {
  if (!isRpmPackageName(name)) {
    throw new AgentError(
      `${JSON.stringify(name.slice(0, 80))} is not an rpm package name (letters, digits and . _ + - only)`,
      { source: "dnf", kind: "invalid_input", operation: "validate package name" },
    );
  }
  return name;
}

export type Evr = { epoch: number; version: string; release: string };

export function parseEvr(text: string): Evr | null {
  if (!isRpmEvr(text)) return null;
  const match = evrPattern.exec(text);
  if (match === null) return null;
  return { epoch: Number(match[1] ?? "0"), version: match[2] ?? "", release: match[3] ?? "" };
}

/** `E:V-R`, with the epoch only when it is not zero (as dnf prints it). */
export function formatEvr(evr: Evr): string {
  return `${evr.epoch === 0 ? "" : `${evr.epoch}:`}${evr.version}-${evr.release}`;
}

/** Compares two EVRs the way rpm does: epoch, then version, then release, each with rpmvercmp. */
export function compareEvr(left: Evr, right: Evr): number {
  if (left.epoch !== right.epoch) return left.epoch < right.epoch ? -1 : 1;
  return compareRpmVersion(left.version, right.version) || compareRpmVersion(left.release, right.release);
}

/** rpm's rpmvercmp: alternating runs of digits and letters; `~` sorts before anything, `^` after. */
export function compareRpmVersion(left: string, right: string): number {
  if (left === right) return 0;
  let a = 0;
  let b = 0;
  const isAlphanumeric = (character: string | undefined) =>
    character !== undefined && /[A-Za-z0-9]/.test(character);
  for (;;) {
    while (a < left.length && !isAlphanumeric(left[a]) && left[a] !== "~" && left[a] !== "^") a++;
    while (b < right.length && !isAlphanumeric(right[b]) && right[b] !== "~" && right[b] !== "^") b++;
    if (left[a] === "~" || right[b] === "~") {
      if (left[a] !== "~") return 1;
      if (right[b] !== "~") return -1;
      a++;
      b++;
      continue;
    }
    if (left[a] === "^" || right[b] === "^") {
      if (a >= left.length) return -1;
      if (b >= right.length) return 1;
      if (left[a] !== "^") return 1;
      if (right[b] !== "^") return -1;
      a++;
      b++;
      continue;
    }
    if (a >= left.length || b >= right.length) break;
    const numeric = /[0-9]/.test(left[a] ?? "");
    const segmentPattern = numeric ? /^[0-9]+/ : /^[A-Za-z]+/;
    const leftSegment = segmentPattern.exec(left.slice(a))?.[0] ?? "";
    const rightSegment = segmentPattern.exec(right.slice(b))?.[0] ?? "";
    a += leftSegment.length;
    b += rightSegment.length;
    if (rightSegment === "") return numeric ? 1 : -1;
    if (numeric) {
      const leftDigits = leftSegment.replace(/^0+/, "");
      const rightDigits = rightSegment.replace(/^0+/, "");
      if (leftDigits.length !== rightDigits.length) return leftDigits.length > rightDigits.length ? 1 : -1;
      if (leftDigits !== rightDigits) return leftDigits > rightDigits ? 1 : -1;
    } else if (leftSegment !== rightSegment) {
      return leftSegment > rightSegment ? 1 : -1;
    }
  }
  if (a >= left.length && b >= right.length) return 0;
  return a >= left.length ? -1 : 1;
}

export type Nevra = { name: string; arch: string } & Evr;

/**
 * Reads `name-[epoch:]version-release.arch` as dnf prints it in advisory lists. The name may hold
 * dashes, so it is whatever precedes the last two dash-separated fields.
 */
export function parseNevra(text: string): Nevra | null {
  const archDot = text.lastIndexOf(".");
  if (archDot <= 0) return null;
  const arch = text.slice(archDot + 1);
  const rest = text.slice(0, archDot);
  const releaseDash = rest.lastIndexOf("-");
  if (releaseDash <= 0) return null;
  const versionDash = rest.lastIndexOf("-", releaseDash - 1);
  if (versionDash <= 0) return null;
  const name = rest.slice(0, versionDash);
  const evr = parseEvr(rest.slice(versionDash + 1));
  if (evr === null || !isRpmPackageName(name) || !isRpmArchitecture(arch)) return null;
  return { name, arch, ...evr };
}

export function formatNevra(nevra: Nevra): string {
  return `${nevra.name}-${formatEvr(nevra)}.${nevra.arch}`;
}
