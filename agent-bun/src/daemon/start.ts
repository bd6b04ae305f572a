import { loadConfig, requireRegistration } from "../config/config.ts";
import { stateFiles } from "../config/paths.ts";
import type { AgentEnvironment } from "../environment.ts";
import { exitCodeFor, exitCodes, requireRoot } from "../errors.ts";
import { guardUpdateAtStart, onRestartRequested, restartExitCode } from "../lifecycle/index.ts";
import { setUpLogging } from "../logging.ts";
import { runDaemon } from "./daemon.ts";

/**
 * Daemon mode, reachable without loading the CLI's parser and tables: the daemon stays
 * small in memory for as long as it runs. It stops cleanly on SIGTERM/SIGINT, or when `stop`
 * aborts (the Windows service manager's stop request). With `logToStderr: false` the logs go
 * to `stderr` too (a Windows service has no stderr of its own).
 */
export async function runDaemonMode(
  environment: AgentEnvironment,
  stderr: (text: string) => void,
  options: { stop?: AbortSignal; logToStderr?: boolean } = {},
): Promise<number> {
  try {
    const config = requireRegistration(loadConfig(environment));
    requireRoot("The daemon (it installs packages)", environment.platform);
    setUpLogging("info", options.logToStderr === false ? stderr : undefined);
    const files = stateFiles(config.stateDirectory);
    // A new agent binary that keeps failing before its first check-in gives way to the previous one.
    if (guardUpdateAtStart(files)) return exitCodes.restartForUpdate;
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    if (options.stop?.aborted) stop();
    options.stop?.addEventListener("abort", stop, { once: true });
    const stopListening = onRestartRequested(stop);
    try {
      await runDaemon({ config, files, signal: controller.signal });
    } finally {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      options.stop?.removeEventListener("abort", stop);
      stopListening();
    }
    return restartExitCode() ?? exitCodes.ok;
  } catch (error) {
    return exitCodeFor(error, stderr);
  }
}
