import type { ScanItem } from "@redflag/contracts";
import type { ConfigFile } from "../../config/config.ts";
import { currentEnvironment } from "../../environment.ts";
import { notRequired, type RebootStatus, type Scanner } from "../package-manager.ts";
import {
  parseRebootRequiredOutput,
  parseWindowsUpdateOutput,
  windowsRebootRequiredScript,
  windowsUpdateScanItems,
  windowsUpdateScanScript,
} from "./index.ts";
import { runPowerShell, type WindowsUpdateSettings, windowsUpdateSettings } from "./run.ts";

export function createWindowsUpdateScanner(config: ConfigFile): Scanner {
  const settings = windowsUpdateSettings(config);
  return {
    packageType: "windows_update",
    isAvailable: async () => settings.enabled ?? currentEnvironment().platform === "win32",
    scan: () => scanWindowsUpdate(settings),
    rebootStatus: () => windowsRebootStatus(settings),
  };
}

async function windowsRebootStatus(settings: WindowsUpdateSettings): Promise<RebootStatus> {
  try {
    const required = parseRebootRequiredOutput(
      await runPowerShell(settings, windowsRebootRequiredScript, "Windows reboot check"),
    );
    return required ? { required, reasons: ["Windows Update: a reboot is pending"] } : notRequired;
  } catch {
    return notRequired;
  }
}

/** The Windows Update Agent's search, through its COM API: KB ids, MSRC severity, CVEs, reboot behaviour. */
export async function scanWindowsUpdate(settings: WindowsUpdateSettings): Promise<ScanItem[]> {
  const result = await runPowerShell(settings, windowsUpdateScanScript, "Windows Update search");
  return windowsUpdateScanItems(parseWindowsUpdateOutput(result));
}
