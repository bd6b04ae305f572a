import { FFIType, JSCallback, type Pointer, ptr } from "bun:ffi";
import { appendFileSync, mkdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import type { AgentEnvironment } from "../../environment.ts";
import { describeError, exitCodeFor, exitCodes } from "../../errors.ts";
import { type Handle, windowsApi } from "./advapi32.ts";
import {
  encodeServiceStatus,
  encodeServiceTable,
  finalStatus,
  parseServiceArguments,
  type ServicePaths,
  type ServiceStatus,
  serviceName,
  wideString,
  win32,
} from "./definition.ts";

/** How long the service manager is told a clean stop may take (the daemon finishes its current step). */
const stopWaitHintMs = 60_000;
/** How often the dispatcher thread is looked at while waiting for the service manager to call us. */
const dispatcherPollMs = 100;
/** The service's log beside its state; the one before is kept as agent.log.1 once it passes this. */
const logRotateBytes = 5 * 1024 * 1024;

/**
 * `redflag-agent.exe --service`: the agent as the Windows service manager runs it.
 *
 * StartServiceCtrlDispatcherW blocks its thread for as long as the service runs, and the service
 * manager calls ServiceMain and the control handler on threads of its own. So the dispatcher runs
 * on a native thread started with CreateThread (its signature is a thread procedure's: one pointer
 * in, a BOOL out), leaving the JavaScript thread free for the daemon; ServiceMain and the handler
 * are thread-safe JSCallbacks, which Bun queues onto the JavaScript thread, so every SetServiceStatus
 * and the daemon itself run there. A stop or shutdown aborts the daemon exactly as SIGTERM does.
 */
export async function runWindowsService(
  argv: readonly string[],
  startEnvironment: AgentEnvironment,
): Promise<number> {
  let paths: ServicePaths;
  try {
    paths = parseServiceArguments(argv);
  } catch (error) {
    return exitCodeFor(error, (text) => process.stderr.write(text));
  }
  // The paths the installer used, whatever this process's environment says.
  const environment = {
    ...startEnvironment,
    configPath: paths.configPath,
    stateDirectory: paths.stateDirectory,
  };
  const log = serviceLog(paths.stateDirectory);
  const { advapi32, kernel32 } = windowsApi();
  const name = wideString(serviceName);
  const stop = new AbortController();
  let statusHandle: Handle = null;
  let checkPoint = 0;
  const report = (status: ServiceStatus) => {
    if (statusHandle === null) return;
    if (!advapi32.SetServiceStatus(statusHandle, encodeServiceStatus(status))) {
      log(`SetServiceStatus(${status.currentState}) failed: error ${kernel32.GetLastError()}\n`);
    }
  };
  const running = (state: number): ServiceStatus => ({
    currentState: state,
    controlsAccepted:
      state === win32.SERVICE_RUNNING ? win32.SERVICE_ACCEPT_STOP | win32.SERVICE_ACCEPT_SHUTDOWN : 0,
    win32ExitCode: win32.NO_ERROR,
    serviceSpecificExitCode: 0,
    checkPoint: state === win32.SERVICE_RUNNING ? 0 : ++checkPoint,
    waitHintMs: state === win32.SERVICE_RUNNING ? 0 : stopWaitHintMs,
  });

  // The value a thread-safe callback returns is not passed back: the manager reads NO_ERROR (0).
  const handler = new JSCallback(
    (control: number) => {
      if (control === win32.SERVICE_CONTROL_STOP || control === win32.SERVICE_CONTROL_SHUTDOWN) {
        if (stop.signal.aborted) return win32.NO_ERROR;
        log(`The service manager asked the agent to stop (control ${control})\n`);
        report(running(win32.SERVICE_STOP_PENDING));
        stop.abort();
      }
      return win32.NO_ERROR;
    },
    { args: [FFIType.u32, FFIType.u32, FFIType.ptr, FFIType.ptr], returns: FFIType.u32, threadsafe: true },
  );
  const serviceStarted = Promise.withResolvers<void>();
  const serviceMain = new JSCallback(
    () => {
      statusHandle = advapi32.RegisterServiceCtrlHandlerExW(name, handler.ptr, null);
      if (statusHandle === null) {
        serviceStarted.reject(
          new Error(`RegisterServiceCtrlHandlerExW failed: error ${kernel32.GetLastError()}`),
        );
      } else {
        serviceStarted.resolve();
      }
    },
    { args: [FFIType.u32, FFIType.ptr], returns: FFIType.void, threadsafe: true },
  );
  try {
    const table = encodeServiceTable(ptr(name), serviceMain.ptr as Pointer);
    const dispatcher = startDispatcherThread(table);
    // Either the manager calls ServiceMain, or the dispatcher returns at once: not started as a service.
    const dispatcherEnded = new Promise<never>((_, reject) => {
      const exitCode = new Uint32Array(1);
      const timer = setInterval(() => {
        if (!kernel32.GetExitCodeThread(dispatcher, exitCode) || exitCode[0] !== win32.STILL_ACTIVE) {
          clearInterval(timer);
          reject(new Error("not started by the Windows service manager (run it with --daemon in a console)"));
        }
      }, dispatcherPollMs);
      serviceStarted.promise.then(
        () => clearInterval(timer),
        () => clearInterval(timer),
      );
    });
    await Promise.race([serviceStarted.promise, dispatcherEnded]);
    kernel32.CloseHandle(dispatcher);
    report(running(win32.SERVICE_RUNNING));
    log(`Running as the ${serviceName} service\n`);
    const { runDaemonMode } = await import("../../daemon/start.ts");
    const exitCode = await runDaemonMode(environment, log, { stop: stop.signal, logToStderr: false });
    const final = finalStatus(exitCode, stop.signal.aborted);
    log(
      final.win32ExitCode === win32.NO_ERROR
        ? "Stopped\n"
        : `The daemon ended with exit code ${exitCode}: reported as a failure, so the service manager restarts it\n`,
    );
    report(final);
    return exitCode;
  } catch (error) {
    const message = `redflag-agent: the service could not run: ${describeError(error)}\n`;
    log(message);
    // Someone who ran --service in a console reads it there; the service manager reads the status.
    process.stderr.write(message);
    report(finalStatus(exitCodes.internal, false));
    return exitCodes.internal;
  }
}

/** Starts StartServiceCtrlDispatcherW(table) on a thread of its own; `table` must outlive it. */
function startDispatcherThread(table: BigUint64Array): NonNullable<Handle> {
  const { kernel32 } = windowsApi();
  const advapi32Module = kernel32.LoadLibraryW(wideString("advapi32.dll"));
  const dispatcher =
    advapi32Module === null
      ? null
      : kernel32.GetProcAddress(advapi32Module, Buffer.from("StartServiceCtrlDispatcherW\0", "latin1"));
  if (dispatcher === null)
    throw new Error(`advapi32!StartServiceCtrlDispatcherW not found: error ${kernel32.GetLastError()}`);
  keepAlive.push(table);
  const thread = kernel32.CreateThread(null, 0n, dispatcher, table, 0, null);
  if (thread === null) throw new Error(`CreateThread failed: error ${kernel32.GetLastError()}`);
  return thread;
}

/** Memory the dispatcher thread reads for as long as the process lives: never collected. */
const keepAlive: unknown[] = [];

/** Appends to agent.log in the state directory (a service has no console); never throws. */
function serviceLog(directory: string): (text: string) => void {
  const file = join(directory, "agent.log");
  try {
    mkdirSync(directory, { recursive: true });
    if ((statSync(file, { throwIfNoEntry: false })?.size ?? 0) > logRotateBytes)
      renameSync(file, `${file}.1`);
  } catch {
    // Logging must never stop the service; a failed rotation only leaves the file growing.
  }
  return (text: string) => {
    try {
      // The daemon's log records carry their own time; the service's own lines get one here.
      appendFileSync(file, /^\d{4}-\d\d-\d\d/.test(text) ? text : `${new Date().toISOString()} ${text}`);
    } catch {
      // As above.
    }
  };
}
