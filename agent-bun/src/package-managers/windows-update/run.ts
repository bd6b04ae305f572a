import type { ConfigFile } from "../../config/config.ts";
import { childEnvironment } from "../../environment.ts";
import { assertFinished, type RunResult, runProgram } from "../../host/run.ts";
import { powerShellArgv } from "./install.ts";

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
): Promise<RunResult> {
  const result = await runProgram(powerShellArgv(script, settings.powershell), {
    source: "windows_update",
    env: childEnvironment(env),
    timeoutMs: 4 * 60 * 60_000,
  });
  assertFinished(result, "windows_update", operation);
  return result;
}
