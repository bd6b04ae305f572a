import type { ScanItem } from "@redflag/contracts";
import type { ConfigFile } from "../../config/config.ts";
import { currentEnvironment } from "../../environment.ts";
import { notRequired, type Scanner } from "../package-manager.ts";
import { parseWingetUpgrades, wingetListUpgradesArgv, wingetScanItems } from "./index.ts";
import { runWinget, type WingetSettings, wingetSettings } from "./run.ts";

export function createWingetScanner(config: ConfigFile): Scanner {
  const settings = wingetSettings(config);
  return {
    packageType: "winget",
    // On Windows, where winget is installed (Server editions often lack it).
    isAvailable: async () =>
      settings.enabled ?? (currentEnvironment().platform === "win32" && Bun.which(settings.program) !== null),
    scan: () => scanWinget(settings),
    rebootStatus: async () => notRequired,
  };
}

/** `winget upgrade`'s table, read by its header's columns; rows whose id winget cut short are left out. */
export async function scanWinget(settings: WingetSettings): Promise<ScanItem[]> {
  const result = await runWinget(wingetListUpgradesArgv(settings.program), "winget upgrade");
  return wingetScanItems(parseWingetUpgrades(result));
}
