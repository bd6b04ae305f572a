import type { ScanItem } from "@redflag/contracts";
import type { ConfigFile } from "../../config/config.ts";
import { childEnvironment, currentEnvironment } from "../../environment.ts";
import { assertFinished, type CommandResult, runCommand } from "../../platforms/process.ts";
import {
  parseRebootRequiredOutput,
  parseWindowsUpdateOutput,
  powerShellArgv,
  windowsRebootRequiredScript,
  windowsUpdateScanItems,
  windowsUpdateScanScript,
} from "../../platforms/windows-update/index.ts";
import type { Scanner } from "../registry.ts";

export type WindowsUpdateSettings = { enabled: boolean | undefined; powershell: string };

export function windowsUpdateSettings(config: ConfigFile): WindowsUpdateSettings {
  return {
    enabled: config.windowsUpdate.enabled,
    powershell: config.windowsUpdate.powershell ?? "powershell.exe",
  };
}

/** Runs a script in PowerShell (argv, no profile, never interactive) with extra environment. */
export async function runPowerShell(
  settings: WindowsUpdateSettings,
  script: string,
  operation: string,
  env: Record<string, string> = {},
): Promise<CommandResult> {
  const result = await runCommand(powerShellArgv(script, settings.powershell), {
    env: childEnvironment(env),
    timeoutMs: 4 * 60 * 60_000,
  });
  assertFinished(result, "windows-update", operation);
  return result;
}

export function createWindowsUpdateScanner(config: ConfigFile): Scanner {
  const settings = windowsUpdateSettings(config);
  return {
    packageType: "windows_update",
    isAvailable: async () => settings.enabled ?? currentEnvironment().platform === "win32",
    scan: () => scanWindowsUpdate(settings),
    isRebootRequired: async () => {
      try {
        return parseRebootRequiredOutput(
          await runPowerShell(settings, windowsRebootRequiredScript, "Windows reboot check"),
        );
      } catch {
        return false;
      }
    },
  };
}

/** The Windows Update Agent's search, through its COM API: KB ids, MSRC severity, CVEs, reboot behaviour. */
export async function scanWindowsUpdate(settings: WindowsUpdateSettings): Promise<ScanItem[]> {
  const result = await runPowerShell(settings, windowsUpdateScanScript, "Windows Update search");
  return windowsUpdateScanItems(parseWindowsUpdateOutput(result));
}
