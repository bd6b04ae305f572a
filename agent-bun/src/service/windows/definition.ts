import { win32 as windowsPath } from "node:path";
import { ExitError, exitCodes } from "../../errors.ts";

/**
 * What the agent's Windows service is, as plain data: names, the command line the service manager
 * starts, the recovery it applies, and the bytes of the structures handed to advapi32. Nothing here
 * calls Windows, so all of it is checked on any machine (test/service/windows/definition.test.ts).
 */

export const serviceName = "RedFlagAgent";
export const serviceDisplayName = "RedFlag Agent";
export const serviceDescription =
  "Finds pending updates on this machine, reports them to the RedFlag server and installs the ones an admin approves.";

/** The argument the service manager starts the installed exe with (agent-bun/src/index.ts routes it). */
export const serviceArgument = "--service";

/** The folder under Program Files that holds the exe; config and state live in ProgramData\RedFlag. */
export const installFolderName = "RedFlag";
export const installedExeName = "redflag-agent.exe";

export function windowsInstallPath(programFiles: string): string {
  return windowsPath.join(programFiles, installFolderName, installedExeName);
}

const configArgument = "--config";
const stateArgument = "--state-dir";

/** Where the service keeps its config and state: the paths the installer used, pinned in its command line. */
export type ServicePaths = { configPath: string; stateDirectory: string };

/** C:\… : a service's files are on a drive (isAbsolute also takes \foo, relative to the current drive). */
function isDrivePath(path: string): boolean {
  return /^[A-Za-z]:\\/.test(path);
}

/** A path that goes into the command line between double quotes, as CommandLineToArgvW reads it back. */
function quotablePath(path: string, what: string): string {
  // A trailing backslash would escape the closing quote; a quote or a line break would end the word.
  if (!isDrivePath(path) || /["\0\r\n]/.test(path) || path.endsWith("\\")) {
    throw new ExitError(
      `The service cannot use ${JSON.stringify(path)} as its ${what}: not an absolute Windows path`,
      {
        exitCode: exitCodes.usage,
      },
    );
  }
  return `"${path}"`;
}

/**
 * The service's command line: the exe, quoted (Program Files has a space, and an unquoted path with
 * spaces is the classic service hijack), then the config and state paths the installer used. The
 * service reads them from here rather than from its environment, which is not the installer's (Wine's
 * service manager, for one, gives services another ProgramData).
 */
export function serviceCommandLine(installPath: string, paths: ServicePaths): string {
  return [
    quotablePath(installPath, "program"),
    serviceArgument,
    configArgument,
    quotablePath(paths.configPath, "config file"),
    stateArgument,
    quotablePath(paths.stateDirectory, "state directory"),
  ].join(" ");
}

/** Reads back the arguments after `--service`; anything else is refused (the command line is ours). */
export function parseServiceArguments(argv: readonly string[]): ServicePaths {
  const [configFlag, configPath, stateFlag, stateDirectory, ...rest] = argv;
  if (
    configFlag !== configArgument ||
    stateFlag !== stateArgument ||
    configPath === undefined ||
    stateDirectory === undefined ||
    rest.length > 0 ||
    !isDrivePath(configPath) ||
    !isDrivePath(stateDirectory)
  ) {
    throw new ExitError(
      `${serviceArgument} takes ${configArgument} PATH ${stateArgument} PATH, as the installer writes them; got ${JSON.stringify(argv)}`,
      { exitCode: exitCodes.usage },
    );
  }
  return { configPath, stateDirectory };
}

/** Whether two Windows paths name the same file (NTFS paths compare without case). */
export function sameWindowsPath(a: string, b: string): boolean {
  return windowsPath.resolve(a).toLowerCase() === windowsPath.resolve(b).toLowerCase();
}

/**
 * Recovery: restart after 5 s, then 30 s, then every 60 s; the count starts again after a day
 * without failures. With `failureActionsOnNonCrashFailures` a clean exit with an error (a service
 * that reports SERVICE_STOPPED with a non-zero code, as a self-update asking to be restarted does)
 * counts as a failure too, not only a crash.
 */
export const recovery = {
  resetPeriodSeconds: 24 * 60 * 60,
  restartDelaysMs: [5_000, 30_000, 60_000],
  failureActionsOnNonCrashFailures: true,
} as const;

/** Constants from winsvc.h and winerror.h, under the names Microsoft's documentation uses. */
export const win32 = {
  SC_MANAGER_CONNECT: 0x0001,
  SC_MANAGER_CREATE_SERVICE: 0x0002,
  SERVICE_QUERY_CONFIG: 0x0001,
  SERVICE_CHANGE_CONFIG: 0x0002,
  SERVICE_QUERY_STATUS: 0x0004,
  SERVICE_START: 0x0010,
  SERVICE_STOP: 0x0020,
  DELETE: 0x10000,
  SERVICE_WIN32_OWN_PROCESS: 0x10,
  SERVICE_AUTO_START: 2,
  SERVICE_ERROR_NORMAL: 1,
  SERVICE_NO_CHANGE: 0xffffffff,
  SERVICE_CONFIG_DESCRIPTION: 1,
  SERVICE_CONFIG_FAILURE_ACTIONS: 2,
  SERVICE_CONFIG_FAILURE_ACTIONS_FLAG: 4,
  SC_ACTION_RESTART: 1,
  SERVICE_STOPPED: 1,
  SERVICE_START_PENDING: 2,
  SERVICE_STOP_PENDING: 3,
  SERVICE_RUNNING: 4,
  SERVICE_ACCEPT_STOP: 0x1,
  SERVICE_ACCEPT_SHUTDOWN: 0x4,
  SERVICE_CONTROL_STOP: 1,
  SERVICE_CONTROL_INTERROGATE: 4,
  SERVICE_CONTROL_SHUTDOWN: 5,
  NO_ERROR: 0,
  ERROR_ACCESS_DENIED: 5,
  ERROR_CALL_NOT_IMPLEMENTED: 120,
  ERROR_INVALID_LEVEL: 124,
  ERROR_SERVICE_ALREADY_RUNNING: 1056,
  ERROR_SERVICE_DOES_NOT_EXIST: 1060,
  ERROR_SERVICE_NOT_ACTIVE: 1062,
  ERROR_FAILED_SERVICE_CONTROLLER_CONNECT: 1063,
  ERROR_SERVICE_SPECIFIC_ERROR: 1066,
  ERROR_SERVICE_MARKED_FOR_DELETE: 1072,
  STILL_ACTIVE: 259,
} as const;

/** The access the installer asks for: no more than it uses. */
export const managerAccess = win32.SC_MANAGER_CONNECT | win32.SC_MANAGER_CREATE_SERVICE;
export const serviceAccess =
  win32.SERVICE_QUERY_CONFIG |
  win32.SERVICE_CHANGE_CONFIG |
  win32.SERVICE_QUERY_STATUS |
  win32.SERVICE_START |
  win32.SERVICE_STOP |
  win32.DELETE;

/** A NUL-terminated UTF-16 string, as every W function takes. */
export function wideString(text: string): Buffer {
  if (text.includes("\0")) throw new Error("a string for Windows contains a NUL character");
  return Buffer.from(`${text}\0`, "utf16le");
}

/** SERVICE_STATUS: seven DWORDs. */
export type ServiceStatus = {
  currentState: number;
  controlsAccepted: number;
  win32ExitCode: number;
  serviceSpecificExitCode: number;
  checkPoint: number;
  waitHintMs: number;
};

export function encodeServiceStatus(status: ServiceStatus): Uint32Array {
  return Uint32Array.of(
    win32.SERVICE_WIN32_OWN_PROCESS,
    status.currentState,
    status.controlsAccepted,
    status.win32ExitCode,
    status.serviceSpecificExitCode,
    status.checkPoint,
    status.waitHintMs,
  );
}

export function decodeServiceStatus(words: Uint32Array): ServiceStatus {
  return {
    currentState: words[1] ?? 0,
    controlsAccepted: words[2] ?? 0,
    win32ExitCode: words[3] ?? 0,
    serviceSpecificExitCode: words[4] ?? 0,
    checkPoint: words[5] ?? 0,
    waitHintMs: words[6] ?? 0,
  };
}

/**
 * What the service reports when its daemon ends: a stop asked for by the service manager is a
 * clean stop; any other end is a failure carrying the agent's exit code, so recovery restarts it.
 */
export function finalStatus(exitCode: number, stopRequested: boolean): ServiceStatus {
  const failed = exitCode !== 0 || !stopRequested;
  return {
    currentState: win32.SERVICE_STOPPED,
    controlsAccepted: 0,
    win32ExitCode: failed ? win32.ERROR_SERVICE_SPECIFIC_ERROR : win32.NO_ERROR,
    // A daemon that returned 0 on its own (it should not) still reads as a failure: code 1.
    serviceSpecificExitCode: failed ? (exitCode === 0 ? 1 : exitCode >>> 0) : 0,
    checkPoint: 0,
    waitHintMs: 0,
  };
}

/** SERVICE_TABLE_ENTRYW[2]: this service, then the all-zero entry that ends the table (x64 layout). */
export function encodeServiceTable(
  namePointer: number | bigint,
  serviceMainPointer: number | bigint,
): BigUint64Array {
  return BigUint64Array.of(BigInt(namePointer), BigInt(serviceMainPointer), 0n, 0n);
}

/** SC_ACTION[]: { Type, Delay } pairs of DWORDs. */
export function encodeRestartActions(delaysMs: readonly number[]): Uint32Array {
  return Uint32Array.from(delaysMs.flatMap((delay) => [win32.SC_ACTION_RESTART, delay]));
}

/**
 * SERVICE_FAILURE_ACTIONSW on x64: dwResetPeriod (DWORD, padded to 8), lpRebootMsg, lpCommand
 * (pointers, null: no reboot message, no command), cActions (DWORD, padded), lpsaActions.
 */
export function encodeFailureActions(
  resetPeriodSeconds: number,
  actionsPointer: number | bigint,
  count: number,
): Buffer {
  const buffer = Buffer.alloc(40);
  buffer.writeUInt32LE(resetPeriodSeconds, 0);
  buffer.writeBigUInt64LE(0n, 8);
  buffer.writeBigUInt64LE(0n, 16);
  buffer.writeUInt32LE(count, 24);
  buffer.writeBigUInt64LE(BigInt(actionsPointer), 32);
  return buffer;
}

/** SERVICE_FAILURE_ACTIONS_FLAG: one BOOL. */
export function encodeFailureActionsFlag(onNonCrashFailures: boolean): Uint32Array {
  return Uint32Array.of(onNonCrashFailures ? 1 : 0);
}

/** SERVICE_DESCRIPTIONW: one pointer to the text. */
export function encodeDescription(textPointer: number | bigint): BigUint64Array {
  return BigUint64Array.of(BigInt(textPointer));
}

/** Win32 error codes in words, for the ones an installer meets. */
export function describeWin32Error(code: number): string {
  const known: Record<number, string> = {
    [win32.ERROR_ACCESS_DENIED]: "access denied (run it as Administrator)",
    [win32.ERROR_SERVICE_ALREADY_RUNNING]: "the service is already running",
    [win32.ERROR_SERVICE_DOES_NOT_EXIST]: "no such service",
    [win32.ERROR_SERVICE_NOT_ACTIVE]: "the service is not running",
    [win32.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT]: "not started by the service manager",
    [win32.ERROR_SERVICE_MARKED_FOR_DELETE]:
      "the service is marked for deletion (close the Services window and try again)",
  };
  return `${known[code] ?? "Windows error"} (${code})`;
}
