import type { PackageType, ScanItem } from "@redflag/contracts";
import type { ConfigFile } from "../config/config.ts";
import { createAptScanner } from "./apt/apt-scanner.ts";
import { createDnfScanner } from "./dnf/dnf-scanner.ts";
import { createDockerScanner } from "./docker/docker-scanner.ts";
import { createWindowsUpdateScanner } from "./windows-update/windows-update-scanner.ts";
import { createWingetScanner } from "./winget/winget-scanner.ts";

/** Finds the updates of one package type. A scanner throws when it cannot tell (the error is reported). */
export type Scanner = {
  packageType: PackageType;
  /** Whether this host has the package manager at all (apt on Debian, not on Fedora or Windows). */
  isAvailable: () => Promise<boolean>;
  scan: () => Promise<ScanItem[]>;
  /** Whether the packages this manager installed want a reboot. */
  isRebootRequired: () => Promise<boolean>;
};

export type ScannerFactory = (config: ConfigFile) => Scanner;

/** Every scanner the agent knows, by package type: DNF, Docker, Windows Update and winget add an entry here. */
export const scannerFactories: Partial<Record<PackageType, ScannerFactory>> = {
  apt: createAptScanner,
  dnf: createDnfScanner,
  docker: createDockerScanner,
  windows_update: createWindowsUpdateScanner,
  winget: createWingetScanner,
};

export function createScanners(config: ConfigFile): Scanner[] {
  return Object.values(scannerFactories).map((factory) => factory(config));
}

/** The scanners that apply to this host. */
export async function availableScanners(config: ConfigFile): Promise<Scanner[]> {
  const scanners = createScanners(config);
  const available = await Promise.all(scanners.map((scanner) => scanner.isAvailable()));
  return scanners.filter((_, index) => available[index]);
}
