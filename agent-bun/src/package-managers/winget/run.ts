import type { ConfigFile } from "../../config/config.ts";
import { childEnvironment } from "../../environment.ts";
import { assertFinished, type RunResult, runProgram } from "../../host/run.ts";

export type WingetSettings = { enabled: boolean | undefined; program: string };

export function wingetSettings(config: ConfigFile): WingetSettings {
  return { enabled: config.winget.enabled, program: config.winget.program ?? "winget" };
}

export async function runWinget(argv: string[], operation: string): Promise<RunResult> {
  const result = await runProgram(argv, {
    source: "winget",
    env: childEnvironment({}),
    timeoutMs: 60 * 60_000,
  });
  assertFinished(result, "winget", operation);
  return result;
}
