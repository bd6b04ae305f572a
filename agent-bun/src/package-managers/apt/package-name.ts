/**
 * Debian policy 5.6.1: lower-case letters, digits, `+`, `-` and `.`, at least two characters,
 * starting with a letter or digit. apt may add `:architecture` for a foreign architecture.
 */
const packageNamePattern = /^[a-z0-9][a-z0-9+.-]+(?::[a-z0-9][a-z0-9-]*)?$/;

/** Debian policy 5.6.12: [epoch:]upstream[-revision]; upstream starts with a digit. */
const versionPattern = /^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~:-]*$/;

export function isPackageName(name: string): boolean {
  return name.length <= 256 && packageNamePattern.test(name);
}

export function isPackageVersion(version: string): boolean {
  return version.length <= 256 && versionPattern.test(version);
}
