import { ptr } from "bun:ffi";
import { ExitError, exitCodes } from "../../errors.ts";
import { type Handle, windowsApi } from "./advapi32.ts";
import {
  decodeServiceStatus,
  describeWin32Error,
  encodeDescription,
  encodeFailureActions,
  encodeFailureActionsFlag,
  encodeRestartActions,
  managerAccess,
  recovery,
  type ServiceStatus,
  serviceAccess,
  serviceDescription,
  serviceDisplayName,
  serviceName,
  wideString,
  win32,
} from "./definition.ts";

/** A failed advapi32 call as the user reads it; access denied means "not as Administrator". */
function failure(operation: string, code: number): ExitError {
  return new ExitError(`${operation} failed: ${describeWin32Error(code)}`, {
    exitCode: code === win32.ERROR_ACCESS_DENIED ? exitCodes.notRoot : exitCodes.internal,
  });
}

function lastError(): number {
  return windowsApi().kernel32.GetLastError();
}

/** How often a start or stop in progress is looked at: the service manager offers no wait call. */
const pollIntervalMs = 250;

/** The local service manager, opened with only the rights the installer uses. */
export class ServiceManager {
  private constructor(private readonly handle: Handle) {}

  static open(): ServiceManager {
    const handle = windowsApi().advapi32.OpenSCManagerW(null, null, managerAccess);
    if (handle === null) throw failure("Opening the service manager", lastError());
    return new ServiceManager(handle);
  }

  /** The agent's service, or null when it is not installed. */
  openAgentService(): AgentService | null {
    const handle = windowsApi().advapi32.OpenServiceW(this.handle, wideString(serviceName), serviceAccess);
    if (handle !== null) return new AgentService(handle);
    const code = lastError();
    if (code === win32.ERROR_SERVICE_DOES_NOT_EXIST) return null;
    throw failure(`Opening the service ${serviceName}`, code);
  }

  /** Creates the service: its own process, started at boot, as LocalSystem. */
  createAgentService(commandLine: string): AgentService {
    const handle = windowsApi().advapi32.CreateServiceW(
      this.handle,
      wideString(serviceName),
      wideString(serviceDisplayName),
      serviceAccess,
      win32.SERVICE_WIN32_OWN_PROCESS,
      win32.SERVICE_AUTO_START,
      win32.SERVICE_ERROR_NORMAL,
      wideString(commandLine),
      null,
      null,
      null,
      null, // LocalSystem: the agent installs updates
      null,
    );
    if (handle === null) throw failure(`Creating the service ${serviceName}`, lastError());
    return new AgentService(handle);
  }

  close() {
    windowsApi().advapi32.CloseServiceHandle(this.handle);
  }
}

export class AgentService {
  constructor(private readonly handle: Handle) {}

  status(): ServiceStatus {
    const words = new Uint32Array(7);
    if (!windowsApi().advapi32.QueryServiceStatus(this.handle, words)) {
      throw failure(`Reading the state of ${serviceName}`, lastError());
    }
    return decodeServiceStatus(words);
  }

  /** Points an existing service at `commandLine`, started at boot, as created. */
  reconfigure(commandLine: string) {
    const ok = windowsApi().advapi32.ChangeServiceConfigW(
      this.handle,
      win32.SERVICE_WIN32_OWN_PROCESS,
      win32.SERVICE_AUTO_START,
      win32.SERVICE_ERROR_NORMAL,
      wideString(commandLine),
      null,
      null,
      null,
      null,
      null,
      wideString(serviceDisplayName),
    );
    if (!ok) throw failure(`Updating the service ${serviceName}`, lastError());
  }

  /**
   * The description, and recovery: restart on every failure, a non-zero exit included. Returns what
   * the service manager did not take (ERROR_INVALID_LEVEL: a manager that lacks the setting, as
   * Wine's lacks FailureActionsOnNonCrashFailures), for the installer to say; Windows takes all.
   */
  configure(): string[] {
    const actions = encodeRestartActions(recovery.restartDelaysMs);
    const description = wideString(serviceDescription);
    // Each structure is built right before its call and kept in a variable until it returns.
    const settings = [
      {
        what: "the description",
        level: win32.SERVICE_CONFIG_DESCRIPTION,
        info: () => encodeDescription(ptr(description)),
      },
      {
        what: "the failure actions (restart)",
        level: win32.SERVICE_CONFIG_FAILURE_ACTIONS,
        info: () =>
          encodeFailureActions(recovery.resetPeriodSeconds, ptr(actions), recovery.restartDelaysMs.length),
      },
      {
        what: "failure actions on a non-zero exit (FailureActionsOnNonCrashFailures)",
        level: win32.SERVICE_CONFIG_FAILURE_ACTIONS_FLAG,
        info: () => encodeFailureActionsFlag(recovery.failureActionsOnNonCrashFailures),
      },
    ];
    const notTaken: string[] = [];
    for (const setting of settings) {
      const info = setting.info();
      if (windowsApi().advapi32.ChangeServiceConfig2W(this.handle, setting.level, info)) continue;
      const code = lastError();
      if (code !== win32.ERROR_INVALID_LEVEL)
        throw failure(`Setting ${setting.what} of ${serviceName}`, code);
      notTaken.push(setting.what);
    }
    return notTaken;
  }

  /** Starts the service and waits until it runs; one that stops instead is an error. */
  async start(timeoutMs: number) {
    if (!windowsApi().advapi32.StartServiceW(this.handle, 0, null)) {
      const code = lastError();
      if (code !== win32.ERROR_SERVICE_ALREADY_RUNNING) throw failure(`Starting ${serviceName}`, code);
    }
    const status = await this.waitWhile(win32.SERVICE_START_PENDING, timeoutMs);
    if (status.currentState !== win32.SERVICE_RUNNING) {
      const code =
        status.win32ExitCode === win32.ERROR_SERVICE_SPECIFIC_ERROR
          ? `the agent exited with ${status.serviceSpecificExitCode}`
          : describeWin32Error(status.win32ExitCode);
      throw new ExitError(`${serviceName} did not start: ${code}`, { exitCode: exitCodes.internal });
    }
  }

  /** Stops the service if it runs, and waits until it has. */
  async stop(timeoutMs: number): Promise<"stopped" | "notRunning"> {
    if (this.status().currentState === win32.SERVICE_STOPPED) return "notRunning";
    const words = new Uint32Array(7);
    if (!windowsApi().advapi32.ControlService(this.handle, win32.SERVICE_CONTROL_STOP, words)) {
      const code = lastError();
      if (code !== win32.ERROR_SERVICE_NOT_ACTIVE) throw failure(`Stopping ${serviceName}`, code);
    }
    const status = await this.waitUntil(win32.SERVICE_STOPPED, timeoutMs);
    if (status.currentState !== win32.SERVICE_STOPPED) {
      throw new ExitError(`${serviceName} did not stop within ${timeoutMs / 1000} s`, {
        exitCode: exitCodes.internal,
        retryable: true,
      });
    }
    return "stopped";
  }

  delete() {
    if (!windowsApi().advapi32.DeleteService(this.handle)) {
      const code = lastError();
      if (code !== win32.ERROR_SERVICE_MARKED_FOR_DELETE) throw failure(`Removing ${serviceName}`, code);
    }
  }

  close() {
    windowsApi().advapi32.CloseServiceHandle(this.handle);
  }

  private async waitWhile(state: number, timeoutMs: number): Promise<ServiceStatus> {
    const deadline = Date.now() + timeoutMs;
    let status = this.status();
    while (status.currentState === state && Date.now() < deadline) {
      await Bun.sleep(pollIntervalMs);
      status = this.status();
    }
    return status;
  }

  private async waitUntil(state: number, timeoutMs: number): Promise<ServiceStatus> {
    const deadline = Date.now() + timeoutMs;
    let status = this.status();
    while (status.currentState !== state && Date.now() < deadline) {
      await Bun.sleep(pollIntervalMs);
      status = this.status();
    }
    return status;
  }
}
