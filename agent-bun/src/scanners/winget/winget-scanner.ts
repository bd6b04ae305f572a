import type { ScanItem } from "@redflag/contracts";
import type { ConfigFile } from "../../config/config.ts";
import { childEnvironment, currentEnvironment } from "../../environment.ts";
import { assertFinished, type CommandResult, runCommand } from "../../platforms/process.ts";
import {
  parseWingetUpgrades,
  wingetListUpgradesArgv,
  wingetScanItems,
} from "../../platforms/winget/index.ts";
import type { Scanner } from "../registry.ts";

export type WingetSettings = { enabled: boolean | undefined; program: string };

export function wingetSettings(config: ConfigFile): WingetSettings {
  return { enabled: config.winget.enabled, program: config.winget.program ?? "winget" };
}

export async function runWinget(argv: string[], operation: string): Promise<CommandResult> {
  const result = await runCommand(argv, { env: childEnvironment({}), timeoutMs: 60 * 60_000 });
  assertFinished(result, "winget", operation);
  return result;
}

export function createWingetScanner(config: ConfigFile): Scanner {
  const settings = wingetSettings(config);
  return {
    packageType: "winget",
    // On Windows, where winget is installed (Server editions often lack it).
    isAvailable: async () =>
      settings.enabled ?? (currentEnvironment().platform === "win32" && Bun.which(settings.program) !== null),
    scan: () => scanWinget(settings),
    isRebootRequired: async () => false,
  };
}

/** `winget upgrade`'s table, read by its header's columns; rows whose id winget cut short are left out. */
export async function scanWinget(settings: WingetSettings): Promise<ScanItem[]> {
  const result = await runWinget(wingetListUpgradesArgv(settings.program), "winget upgrade");
  return wingetScanItems(parseWingetUpgrades(result));
}
