import { dlopen, type Pointer } from "bun:ffi";

/**
 * The Windows service manager's API (advapi32) and the few kernel32 calls the service mode needs,
 * bound through bun:ffi: no helper exe, nothing downloaded. Loaded on first use, on Windows only.
 */

function load() {
  const advapi32 = dlopen("advapi32.dll", {
    OpenSCManagerW: { args: ["ptr", "ptr", "u32"], returns: "ptr" },
    OpenServiceW: { args: ["ptr", "ptr", "u32"], returns: "ptr" },
    CreateServiceW: {
      args: ["ptr", "ptr", "ptr", "u32", "u32", "u32", "u32", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr"],
      returns: "ptr",
    },
    ChangeServiceConfigW: {
      args: ["ptr", "u32", "u32", "u32", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr"],
      returns: "i32",
    },
    ChangeServiceConfig2W: { args: ["ptr", "u32", "ptr"], returns: "i32" },
    StartServiceW: { args: ["ptr", "u32", "ptr"], returns: "i32" },
    ControlService: { args: ["ptr", "u32", "ptr"], returns: "i32" },
    QueryServiceStatus: { args: ["ptr", "ptr"], returns: "i32" },
    DeleteService: { args: ["ptr"], returns: "i32" },
    CloseServiceHandle: { args: ["ptr"], returns: "i32" },
    RegisterServiceCtrlHandlerExW: { args: ["ptr", "ptr", "ptr"], returns: "ptr" },
    SetServiceStatus: { args: ["ptr", "ptr"], returns: "i32" },
  });
  const kernel32 = dlopen("kernel32.dll", {
    GetLastError: { args: [], returns: "u32" },
    LoadLibraryW: { args: ["ptr"], returns: "ptr" },
    GetProcAddress: { args: ["ptr", "ptr"], returns: "ptr" },
    CreateThread: { args: ["ptr", "u64", "ptr", "ptr", "u32", "ptr"], returns: "ptr" },
    GetExitCodeThread: { args: ["ptr", "ptr"], returns: "i32" },
    CloseHandle: { args: ["ptr"], returns: "i32" },
  });
  return { advapi32: advapi32.symbols, kernel32: kernel32.symbols };
}

let loaded: ReturnType<typeof load> | null = null;

export function windowsApi() {
  loaded ??= load();
  return loaded;
}

/** A handle as bun:ffi returns it: null for NULL. */
export type Handle = Pointer | bigint | null;
