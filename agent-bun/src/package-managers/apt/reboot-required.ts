import { readFileIfExists } from "../../config/files.ts";
import { notRequired, type RebootStatus } from "../package-manager.ts";

/** The reasons `/run/reboot-required.pkgs` gives: one package per line, repeated per trigger. */
export function parseRebootRequiredPackages(text: string): string[] {
  const names = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^[a-z0-9][a-z0-9+.:-]{0,200}$/i.test(line));
  return [...new Set(names)];
}

/**
 * Debian's update-notifier convention: packages' postinst scripts create `/run/reboot-required`
 * and append their names to `/run/reboot-required.pkgs`.
 */
export function aptRebootStatus(rebootRequiredFile: string): RebootStatus {
  if (readFileIfExists(rebootRequiredFile) === null) return notRequired;
  const packages = parseRebootRequiredPackages(readFileIfExists(`${rebootRequiredFile}.pkgs`) ?? "");
  return {
    required: true,
    reasons:
      packages.length > 0
        ? packages.map((name) => `${name} (${rebootRequiredFile}.pkgs)`)
        : [rebootRequiredFile],
  };
}
