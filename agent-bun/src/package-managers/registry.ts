import type { PackageType } from "@redflag/contracts";
import type { ConfigFile } from "../config/config.ts";
import { createAptInstaller } from "./apt/installer.ts";
import { createAptScanner } from "./apt/scanner.ts";
import { createDnfInstaller } from "./dnf/installer.ts";
import { createDnfScanner } from "./dnf/scanner.ts";
import { createDockerInstaller } from "./docker/installer.ts";
import { createDockerScanner } from "./docker/scanner.ts";
import type { DownloadSettings } from "./download-settings.ts";
import type { Installer, PackageManager, Scanner } from "./package-manager.ts";
import { createWindowsUpdateInstaller } from "./windows-update/installer.ts";
import { createWindowsUpdateScanner } from "./windows-update/scanner.ts";
import { createWingetInstaller } from "./winget/installer.ts";
import { createWingetScanner } from "./winget/scanner.ts";

/** The one list of package managers; a package type of the contracts that is missing here fails the type check. */
export const packageManagers = {
  apt: { createScanner: createAptScanner, createInstaller: createAptInstaller },
  dnf: { createScanner: createDnfScanner, createInstaller: createDnfInstaller },
  // docker pull has no download limit, and a registry mirror is the engine's own `registry-mirrors`
  // setting (Docker Hub images only): nothing to pass per pull (docs/bandwidth.md).
  docker: { createScanner: createDockerScanner, createInstaller: (config) => createDockerInstaller(config) },
  windows_update: {
    createScanner: createWindowsUpdateScanner,
    createInstaller: createWindowsUpdateInstaller,
  },
  winget: { createScanner: createWingetScanner, createInstaller: createWingetInstaller },
} satisfies Record<PackageType, PackageManager>;

export function createScanners(config: ConfigFile): Scanner[] {
  return Object.values(packageManagers).map((manager) => manager.createScanner(config));
}

/** The scanners that apply to this host. */
export async function availableScanners(config: ConfigFile): Promise<Scanner[]> {
  const scanners = createScanners(config);
  const available = await Promise.all(scanners.map((scanner) => scanner.isAvailable()));
  return scanners.filter((_, index) => available[index]);
}

export function installerFor(
  packageType: PackageType,
  config: ConfigFile,
  download: DownloadSettings | null = null,
): Installer {
  return packageManagers[packageType].createInstaller(config, download);
}
