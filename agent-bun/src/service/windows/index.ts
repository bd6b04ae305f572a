import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  unlinkSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { stateFiles } from "../../config/paths.ts";
import { ExitError, exitCodes } from "../../errors.ts";
import {
  type BinaryPlacement,
  placeBinaryAndRegister,
  type ServiceInstallResult,
  type ServiceIo,
  type ServiceOptions,
} from "../service.ts";
import {
  installFolderName,
  recovery,
  sameWindowsPath,
  serviceCommandLine,
  serviceName,
} from "./definition.ts";
import { type AgentService, ServiceManager } from "./manager.ts";

export { windowsInstallPath } from "./definition.ts";

/** How long a start or a clean stop may take before the installer gives up. */
const startTimeoutMs = 60_000;
const stopTimeoutMs = 120_000;

/**
 * Installs (or upgrades) the agent as the Windows service RedFlagAgent: a running service is
 * stopped, the exe put in place, the registration kept when it is for the same server, the service
 * created or updated (started at boot, as LocalSystem, restarted on failure) and started again.
 */
export async function installService(options: ServiceOptions, io: ServiceIo): Promise<ServiceInstallResult> {
  // Checked first: a path the service manager cannot start is refused before anything changes.
  const commandLine = serviceCommandLine(options.installPath, {
    configPath: options.configPath,
    stateDirectory: options.stateDirectory,
  });
  const manager = ServiceManager.open();
  let service: AgentService | null = null;
  try {
    service = manager.openAgentService();
    const existed = service !== null;
    // Stopped first: a running exe cannot be replaced, and a new registration needs a new start.
    if (service !== null && (await service.stop(stopTimeoutMs)) === "stopped") {
      io.stdout(`Stopped the ${serviceName} service\n`);
    }
    await placeBinaryAndRegister(options, io, installBinary);
    if (service === null) service = manager.createAgentService(commandLine);
    else service.reconfigure(commandLine);
    for (const setting of service.configure()) {
      io.stderr(`redflag-agent: warning: this service manager does not take ${setting}\n`);
    }
    await service.start(startTimeoutMs);
    const delays = recovery.restartDelaysMs.map((delay) => `${delay / 1000} s`).join(", ");
    io.stdout(
      `Service ${serviceName} ${existed ? "updated" : "created"} and started: starts at boot, restarted after a failure (after ${delays}). Its log: ${join(options.stateDirectory, "agent.log")}\n`,
    );
    return { kind: existed ? "upgraded" : "installed" };
  } finally {
    service?.close();
    manager.close();
  }
}

/**
 * Stops and removes the service and the exe; with `purge`, the config and state too. Whatever is
 * already gone is skipped, so it can run any number of times.
 */
export async function uninstallService(
  options: Pick<
    ServiceOptions,
    "installPath" | "currentBinaryPath" | "configPath" | "stateDirectory" | "purge"
  >,
  io: ServiceIo,
): Promise<void> {
  const manager = ServiceManager.open();
  try {
    const service = manager.openAgentService();
    if (service !== null) {
      try {
        if ((await service.stop(stopTimeoutMs)) === "stopped")
          io.stdout(`Stopped the ${serviceName} service\n`);
        service.delete();
        io.stdout(`Removed the ${serviceName} service\n`);
      } finally {
        service.close();
      }
    }
  } finally {
    manager.close();
  }
  if (sameWindowsPath(options.currentBinaryPath, options.installPath)) {
    // Windows keeps a running exe's file; install.ps1 -Uninstall runs a copy, so this is rare.
    io.stderr(
      `redflag-agent: ${options.installPath} is this running program and stays: delete it once this command has ended\n`,
    );
  } else {
    removeFile(options.installPath, io);
    removeEmptyFolder(dirname(options.installPath), io);
  }
  if (!options.purge) return;
  removeFile(options.configPath, io);
  for (const file of Object.values(stateFiles(options.stateDirectory))) removeTree(file);
  for (const log of ["agent.log", "agent.log.1"]) removeTree(join(options.stateDirectory, log));
  for (const directory of new Set([dirname(options.configPath), options.stateDirectory])) {
    // Only the agent's own folder (ProgramData\RedFlag) goes whole; one given by AGENT_CONFIG_PATH or
    // REDFLAG_STATE_DIR may be shared, so there only the agent's files went (above).
    if (basename(directory) === installFolderName && existsSync(directory)) {
      removeTree(directory);
      io.stdout(`Removed ${directory}\n`);
    }
  }
  io.stdout(`Removed the config (${options.configPath}) and state (${options.stateDirectory})\n`);
}

/** Puts the running exe at `target` unless it already is that file: copied beside it, then renamed over it. */
function installBinary(source: string, target: string): BinaryPlacement {
  if (sameWindowsPath(source, target)) return "same";
  const existed = existsSync(target);
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.new`);
  try {
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, temporary);
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExitError(`Cannot install the agent at ${target}: ${(error as Error).message}`, {
      exitCode: code === "EACCES" || code === "EPERM" ? exitCodes.notRoot : exitCodes.internal,
      cause: error,
    });
  }
  return existed ? "replaced" : "installed";
}

function removeFile(path: string, io: ServiceIo) {
  if (!existsSync(path)) return;
  unlinkSync(path);
  io.stdout(`Removed ${path}\n`);
}

function removeEmptyFolder(directory: string, io: ServiceIo) {
  if (basename(directory) !== installFolderName || !existsSync(directory)) return;
  if (readdirSync(directory).length > 0) return;
  rmdirSync(directory);
  io.stdout(`Removed ${directory}\n`);
}

/**
 * Removes a file or a folder with everything in it, one entry at a time: Bun's rmSync with
 * `recursive` fails under Wine (EFAULT), on files and folders alike; unlink and rmdir do not.
 */
function removeTree(path: string) {
  const entry = lstatSync(path, { throwIfNoEntry: false });
  if (entry === undefined) return;
  if (entry.isDirectory()) {
    for (const name of readdirSync(path)) removeTree(join(path, name));
    rmdirSync(path);
  } else {
    unlinkSync(path);
  }
}
