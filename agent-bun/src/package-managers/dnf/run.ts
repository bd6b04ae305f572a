import { existsSync, readFileSync } from "node:fs";
import type { ConfigFile } from "../../config/config.ts";
import { childEnvironment, currentEnvironment } from "../../environment.ts";
import { assertFinished, type RunResult, runProgram } from "../../host/run.ts";
import { type DownloadSettings, dnfDownloadOptions } from "../download-settings.ts";
import { type DnfOptions, dnfEnvironment, type RpmOptions } from "./index.ts";

export type DnfSettings = { dnf: DnfOptions; rpm: RpmOptions; enabled: boolean | undefined };

export function dnfSettings(config: ConfigFile, download: DownloadSettings | null = null): DnfSettings {
  const section = config.dnf;
  const downloadOptions = dnfDownloadOptions(download);
  return {
    enabled: section.enabled,
    dnf: {
      ...(section.program === undefined ? {} : { program: section.program }),
      ...(section.configFile === undefined ? {} : { configFile: section.configFile }),
      ...(section.installRoot === undefined ? {} : { installRoot: section.installRoot }),
      ...(section.releaseVersion === undefined ? {} : { releaseVersion: section.releaseVersion }),
      ...(section.reposDir === undefined ? {} : { reposDir: section.reposDir }),
      ...(section.disablePlugins === undefined ? {} : { disablePlugins: section.disablePlugins }),
      ...(downloadOptions.length === 0 ? {} : { downloadOptions }),
    },
    rpm: section.installRoot === undefined ? {} : { root: section.installRoot },
  };
}

/** An RPM-based host: dnf on Debian (installed for tests, say) must not make the agent scan it. */
function isRpmBasedHost(): boolean {
  if (existsSync("/etc/redhat-release") || existsSync("/etc/fedora-release")) return true;
  try {
    const osRelease = readFileSync("/etc/os-release", "utf8");
    return /^ID(?:_LIKE)?="?[^"\n]*\b(fedora|rhel|centos|rocky|almalinux|amzn|ol)\b/m.test(osRelease);
  } catch {
    return false;
  }
}

export function isDnfAvailable(settings: DnfSettings): boolean {
  if (settings.enabled !== undefined) return settings.enabled;
  if (currentEnvironment().platform !== "linux") return false;
  return Bun.which(settings.dnf.program ?? "dnf") !== null && isRpmBasedHost();
}

/** Runs dnf or rpm: argv only, English messages, never a prompt (no stdin). */
export async function runDnf(
  argv: string[],
  operation: string,
  onStdoutLine?: (line: string) => void,
): Promise<RunResult> {
  const result = await runProgram(argv, {
    source: "dnf",
    env: dnfEnvironment(childEnvironment({})),
    timeoutMs: 60 * 60_000,
    ...(onStdoutLine === undefined ? {} : { onStdoutLine }),
  });
  assertFinished(result, "dnf", operation);
  return result;
}
