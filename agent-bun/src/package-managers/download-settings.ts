import {
  type DownloadSettings,
  downloadSettingsParameter,
  downloadSettingsSchema,
  type PackageType,
} from "@redflag/contracts";
import { AgentError } from "../errors.ts";

export type { DownloadSettings };

/**
 * The download profile a command carries in its signed parameters, or null when the host has none.
 * Signed with the command, so a proxy or limit cannot be slipped in on the way; one that does not
 * fit the contract refuses the command (a server bug), instead of downloading around the profile.
 */
export function downloadSettingsOf(
  parameters: Record<string, unknown>,
  packageType: PackageType,
): DownloadSettings | null {
  const value = parameters[downloadSettingsParameter];
  if (value === undefined || value === null) return null;
  const parsed = downloadSettingsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new AgentError(
    `refusing the command's download profile (${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "invalid"})`,
    { source: packageType, kind: "invalid_input", operation: "read download profile", cause: parsed.error },
  );
}

/** apt's own knobs as `-o` options (KiB/s; the proxy for http repositories, e.g. an apt-cacher-ng). */
export function aptDownloadOptions(download: DownloadSettings | null): string[] {
  if (!download) return [];
  const options: string[] = [];
  if (download.limitKibPerSecond !== null) {
    options.push("-o", `Acquire::http::Dl-Limit=${download.limitKibPerSecond}`);
    options.push("-o", `Acquire::https::Dl-Limit=${download.limitKibPerSecond}`);
  }
  if (download.aptProxy !== null) options.push("-o", `Acquire::http::Proxy=${download.aptProxy}`);
  return options;
}

/** dnf's own knobs as `--setopt` options (`throttle` in KiB/s, written with dnf's `k` unit). */
export function dnfDownloadOptions(download: DownloadSettings | null): string[] {
  if (!download) return [];
  const options: string[] = [];
  if (download.limitKibPerSecond !== null) options.push(`--setopt=throttle=${download.limitKibPerSecond}k`);
  if (download.dnfProxy !== null) options.push(`--setopt=proxy=${download.dnfProxy}`);
  return options;
}
