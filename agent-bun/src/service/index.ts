import { currentEnvironment } from "../environment.ts";
import { ExitError, exitCodes } from "../errors.ts";
import type { ServiceInstallResult, ServiceIo, ServiceOptions } from "./service.ts";
import { windowsInstallPath } from "./windows/definition.ts";

export type { RegistrationOutcome, ServiceInstallResult, ServiceIo, ServiceOptions } from "./service.ts";

/** Where `--install-service` puts the binary on this platform. */
export function defaultInstallPath(platform: NodeJS.Platform): string {
  if (platform === "linux") return "/usr/local/bin/redflag-agent";
  if (platform === "win32") return windowsInstallPath(currentEnvironment().programFiles);
  throw unsupported(platform);
}

/** Installs the agent as this platform's service; the modules load only where they apply. */
export async function installService(options: ServiceOptions, io: ServiceIo): Promise<ServiceInstallResult> {
  if (process.platform === "linux") return (await import("./systemd.ts")).installSystemdService(options, io);
  if (process.platform === "win32") return (await import("./windows/index.ts")).installService(options, io);
  throw unsupported(process.platform);
}

export async function uninstallService(options: ServiceOptions, io: ServiceIo): Promise<void> {
  if (process.platform === "linux")
    return (await import("./systemd.ts")).uninstallSystemdService(options, io);
  if (process.platform === "win32") return (await import("./windows/index.ts")).uninstallService(options, io);
  throw unsupported(process.platform);
}

function unsupported(platform: NodeJS.Platform) {
  return new ExitError(`Installing the agent as a service is not supported on ${platform}`, {
    exitCode: exitCodes.usage,
  });
}
