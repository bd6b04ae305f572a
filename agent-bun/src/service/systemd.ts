import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { readFileIfExists, writeFileAtomically } from "../config/files.ts";
import { stateFiles } from "../config/paths.ts";
import { childEnvironment } from "../environment.ts";
import { ExitError, exitCodes, tailOfOutput } from "../errors.ts";
import { runProgram } from "../host/run.ts";
import {
  type BinaryPlacement,
  placeBinaryAndRegister,
  type ServiceInstallResult,
  type ServiceIo,
  type ServiceOptions,
} from "./service.ts";
import { renderUnit, unitName } from "./systemd-unit.ts";

/** Where systemd lives on this host; tests point it at a temporary root. */
export type SystemdHost = {
  /** Exists exactly when systemd is the running init (sd_booted(3) checks the same). */
  runDirectory: string;
  unitDirectory: string;
  /** The default config and state paths: the unit names other ones in its environment. */
  defaultConfigPath: string;
  defaultStateDirectory: string;
  systemctl: (args: string[]) => Promise<{ exitCode: number; output: string }>;
};

export const systemdHost: SystemdHost = {
  runDirectory: "/run/systemd/system",
  unitDirectory: "/etc/systemd/system",
  defaultConfigPath: "/etc/aggregator/config.json",
  defaultStateDirectory: "/var/lib/aggregator",
  systemctl: async (args) => {
    const result = await runProgram(["systemctl", ...args], {
      source: "process",
      env: childEnvironment({ SYSTEMD_PAGER: "", SYSTEMD_COLORS: "0" }),
      timeoutMs: 120_000,
    });
    return { exitCode: result.timedOut ? -1 : result.exitCode, output: `${result.stdout}${result.stderr}` };
  },
};

/**
 * Installs (or upgrades) the agent as a systemd service: the binary in place, the registration
 * (kept when it is for the same server), the unit, then enabled and (re)started so a new binary
 * runs at once. Without systemd the binary and registration are still installed, and what to run
 * instead is printed.
 */
export async function installSystemdService(
  options: ServiceOptions,
  io: ServiceIo,
  host: SystemdHost = systemdHost,
): Promise<ServiceInstallResult> {
  const unitPath = join(host.unitDirectory, unitName);
  // Rendered first: a path the unit cannot hold is refused before anything changes.
  const unit = renderUnit({
    binaryPath: options.installPath,
    configPath: options.configPath === host.defaultConfigPath ? null : options.configPath,
    stateDirectory: options.stateDirectory === host.defaultStateDirectory ? null : options.stateDirectory,
  });
  const hadUnit = existsSync(unitPath);
  await placeBinaryAndRegister(options, io, installBinary);
  if (!existsSync(host.runDirectory)) {
    io.stderr(withoutSystemd(options.installPath, host.runDirectory));
    return { kind: "noServiceManager" };
  }
  if (readFileIfExists(unitPath) !== unit) writeFileAtomically(unitPath, unit, 0o644);
  await systemctl(host, ["daemon-reload"]);
  await systemctl(host, ["enable", unitName]);
  // restart starts a stopped service too, and makes a running one pick up the new binary.
  await systemctl(host, ["restart", unitName]);
  io.stdout(
    `Service ${unitName} enabled and started (systemctl status ${unitName}; journalctl -u ${unitName})\n`,
  );
  return { kind: hadUnit ? "upgraded" : "installed" };
}

/**
 * Stops and removes the service and the binary; with `purge`, the config and state too. Whatever
 * is already gone is skipped, so it can run any number of times.
 */
export async function uninstallSystemdService(
  options: Pick<ServiceOptions, "installPath" | "configPath" | "stateDirectory" | "purge">,
  io: ServiceIo,
  host: SystemdHost = systemdHost,
): Promise<void> {
  const unitPath = join(host.unitDirectory, unitName);
  const systemdRuns = existsSync(host.runDirectory);
  if (systemdRuns) {
    // Fails when the unit is unknown, which is what we want anyway.
    const stopped = await host.systemctl(["disable", "--now", unitName]);
    if (stopped.exitCode === 0) io.stdout(`Stopped and disabled ${unitName}\n`);
  }
  if (existsSync(unitPath)) {
    rmSync(unitPath, { force: true });
    io.stdout(`Removed ${unitPath}\n`);
  }
  if (systemdRuns) {
    await systemctl(host, ["daemon-reload"]);
    await host.systemctl(["reset-failed", unitName]);
  }
  removeFile(options.installPath, io);
  if (!options.purge) return;
  removeFile(options.configPath, io);
  removeOwnDirectory(dirname(options.configPath), io);
  for (const file of Object.values(stateFiles(options.stateDirectory))) {
    rmSync(file, { recursive: true, force: true });
  }
  removeOwnDirectory(options.stateDirectory, io);
  io.stdout(`Removed the config (${options.configPath}) and state (${options.stateDirectory})\n`);
}

async function systemctl(host: SystemdHost, args: string[]): Promise<void> {
  const result = await host.systemctl(args);
  if (result.exitCode !== 0) {
    throw new ExitError(
      `systemctl ${args.join(" ")} failed (exit ${result.exitCode}): ${tailOfOutput(result.output)}`,
      {
        exitCode: exitCodes.internal,
      },
    );
  }
}

function withoutSystemd(binaryPath: string, runDirectory: string): string {
  return `redflag-agent: systemd is not running on this machine (no ${runDirectory}), so no service was installed.
The agent is installed and registered: start ${binaryPath} --daemon at boot with your init system, as root.
OpenRC, for example, /etc/init.d/redflag-agent:
  #!/sbin/openrc-run
  command=${binaryPath}
  command_args=--daemon
  command_background=true
  pidfile=/run/redflag-agent.pid
  depend() { need net; }
then: chmod +x /etc/init.d/redflag-agent && rc-update add redflag-agent default && rc-service redflag-agent start
In a container without an init, run ${binaryPath} --daemon as its command (with a restart policy).
`;
}

/**
 * Puts the running binary at `target` unless it already is that file: written beside it, flushed
 * to disk, then renamed over it, so a crash or a running service never sees half a binary.
 */
function installBinary(source: string, target: string): BinaryPlacement {
  const existing = statIfExists(target);
  const current = statSync(source);
  if (existing !== null && existing.dev === current.dev && existing.ino === current.ino) return "same";
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.new`);
  try {
    const content = readFileSync(source);
    const descriptor = openSync(temporary, "w", 0o755);
    try {
      writeSync(descriptor, content);
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new ExitError(`Cannot install the agent at ${target}: ${(error as Error).message}`, {
      exitCode: (error as NodeJS.ErrnoException).code === "EACCES" ? exitCodes.notRoot : exitCodes.internal,
      cause: error,
    });
  }
  return existing === null ? "installed" : "replaced";
}

function statIfExists(path: string) {
  try {
    return statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

function removeFile(path: string, io: ServiceIo) {
  if (statIfExists(path) === null) return;
  rmSync(path, { force: true });
  io.stdout(`Removed ${path}\n`);
}

/**
 * Removes a directory whole only when it is the agent's own (named "aggregator", as /etc/aggregator
 * and /var/lib/aggregator are); a directory given by AGENT_CONFIG_PATH or REDFLAG_STATE_DIR may be
 * shared, so there only the agent's files go (above) and the directory stays.
 */
function removeOwnDirectory(directory: string, io: ServiceIo) {
  if (statIfExists(directory) === null) return;
  if (basename(directory) === "aggregator") {
    rmSync(directory, { recursive: true, force: true });
    io.stdout(`Removed ${directory}\n`);
  }
}
