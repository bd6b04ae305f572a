import type { CommandTarget, ItemOutcome, PackageType } from "@redflag/contracts";
import type { ConfigFile } from "../config/config.ts";
import { createAptInstaller } from "./apt-installer.ts";
import { createDnfInstaller } from "./dnf-installer.ts";
import { createDockerInstaller } from "./docker-installer.ts";
import { createWindowsUpdateInstaller } from "./windows-update-installer.ts";
import { createWingetInstaller } from "./winget-installer.ts";

export type PlannedChange = {
  action: "install" | "upgrade" | "downgrade" | "reinstall" | "remove";
  packageName: string;
  currentVersion: string | null;
  newVersion: string | null;
};

/** What an install would do, dependencies included, computed without changing anything. */
export type InstallPlan = { changes: PlannedChange[]; output: string };

/** Progress of a command; a milestone (the plan, the end) is always sent, other updates may be merged. */
export type Progress = (percent: number | null, message: string, milestone?: boolean) => void;

export type InstallResult = { outcomes: ItemOutcome[]; output: string; exitCode: number | null };

/** Installs updates of one package type: dry run, install (verified), rollback. */
export type Installer = {
  packageType: PackageType;
  dryRun: (targets: CommandTarget[]) => Promise<InstallPlan>;
  install: (targets: CommandTarget[], progress: Progress) => Promise<InstallResult>;
  rollback: (targets: CommandTarget[], progress: Progress) => Promise<InstallResult>;
};

export type InstallerFactory = (config: ConfigFile) => Installer;

/** Every installer the agent knows, by package type. */
export const installerFactories: Partial<Record<PackageType, InstallerFactory>> = {
  apt: createAptInstaller,
  dnf: createDnfInstaller,
  docker: createDockerInstaller,
  windows_update: createWindowsUpdateInstaller,
  winget: createWingetInstaller,
};

export function installerFor(packageType: PackageType, config: ConfigFile): Installer | null {
  return installerFactories[packageType]?.(config) ?? null;
}
