import { childEnvironment } from "../../environment.ts";
import { type RunOptions, runProgram } from "../../host/run.ts";

export type AptSettings = { configFile?: string | undefined; rebootRequiredFile: string };

/** apt's environment: C locale (stable output), never a prompt, and the configured APT_CONFIG. */
export function aptEnvironment(settings: AptSettings): Record<string, string> {
  return childEnvironment({
    LANG: "C",
    LC_ALL: "C",
    LANGUAGE: undefined,
    DEBIAN_FRONTEND: "noninteractive",
    APT_LISTCHANGES_FRONTEND: "none",
    NEEDRESTART_MODE: "a",
    ...(settings.configFile ? { APT_CONFIG: settings.configFile } : {}),
  });
}

export function runApt(settings: AptSettings, argv: string[], options: Partial<RunOptions> = {}) {
  return runProgram(argv, { env: aptEnvironment(settings), ...options });
}
