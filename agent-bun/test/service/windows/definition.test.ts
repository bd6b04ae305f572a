import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodeServiceStatus,
  describeWin32Error,
  encodeDescription,
  encodeFailureActions,
  encodeFailureActionsFlag,
  encodeRestartActions,
  encodeServiceStatus,
  encodeServiceTable,
  finalStatus,
  managerAccess,
  parseServiceArguments,
  recovery,
  sameWindowsPath,
  serviceAccess,
  serviceCommandLine,
  wideString,
  win32,
  windowsInstallPath,
} from "../../../src/service/windows/definition.ts";

const defaultPaths = {
  configPath: "C:\\ProgramData\\RedFlag\\config.json",
  stateDirectory: "C:\\ProgramData\\RedFlag",
};

describe("the service's paths and command line", () => {
  test("the exe goes to Program Files\\RedFlag", () => {
    expect(windowsInstallPath("C:\\Program Files")).toBe("C:\\Program Files\\RedFlag\\redflag-agent.exe");
    expect(windowsInstallPath("D:\\Apps\\")).toBe("D:\\Apps\\RedFlag\\redflag-agent.exe");
  });

  test("every path is quoted, the exe first, then --service and the config and state paths", () => {
    expect(serviceCommandLine("C:\\Program Files\\RedFlag\\redflag-agent.exe", defaultPaths)).toBe(
      '"C:\\Program Files\\RedFlag\\redflag-agent.exe" --service --config "C:\\ProgramData\\RedFlag\\config.json" --state-dir "C:\\ProgramData\\RedFlag"',
    );
  });

  test.each([
    ["a relative exe", "redflag-agent.exe", defaultPaths, "program"],
    ["a quote in the exe path", 'C:\\Program Files\\Red"Flag\\redflag-agent.exe', defaultPaths, "program"],
    [
      "a state directory ending in a backslash (it would escape the closing quote)",
      "C:\\RedFlag\\redflag-agent.exe",
      { ...defaultPaths, stateDirectory: "C:\\ProgramData\\RedFlag\\" },
      "state directory",
    ],
    [
      "a line break in the config path",
      "C:\\RedFlag\\redflag-agent.exe",
      { ...defaultPaths, configPath: "C:\\x\ny.json" },
      "config file",
    ],
    ["a Unix path", "/usr/local/bin/redflag-agent", defaultPaths, "program"],
  ])("refuses %s", (_, exe, paths, what) => {
    expect(() => serviceCommandLine(exe, paths)).toThrow(`as its ${what}: not an absolute Windows path`);
  });

  test("--service reads back the paths the command line carries, and nothing else", () => {
    expect(
      parseServiceArguments([
        "--config",
        defaultPaths.configPath,
        "--state-dir",
        defaultPaths.stateDirectory,
      ]),
    ).toEqual(defaultPaths);
    for (const argv of [
      [],
      ["--config", defaultPaths.configPath],
      ["--state-dir", defaultPaths.stateDirectory, "--config", defaultPaths.configPath],
      ["--config", "config.json", "--state-dir", defaultPaths.stateDirectory],
      ["--config", "\\config.json", "--state-dir", defaultPaths.stateDirectory],
      ["--config", defaultPaths.configPath, "--state-dir", defaultPaths.stateDirectory, "--scan"],
    ]) {
      expect(() => parseServiceArguments(argv)).toThrow("--service takes --config PATH --state-dir PATH");
    }
  });

  test("Windows paths compare without case", () => {
    expect(
      sameWindowsPath(
        "C:\\Program Files\\RedFlag\\redflag-agent.exe",
        "c:\\program files\\redflag\\REDFLAG-AGENT.EXE",
      ),
    ).toBe(true);
    expect(
      sameWindowsPath("C:\\setup\\redflag-agent.exe", "C:\\Program Files\\RedFlag\\redflag-agent.exe"),
    ).toBe(false);
  });
});

describe("what the service reports", () => {
  test("a stop the service manager asked for, with exit 0, is a clean stop", () => {
    expect(finalStatus(0, true)).toEqual({
      currentState: win32.SERVICE_STOPPED,
      controlsAccepted: 0,
      win32ExitCode: 0,
      serviceSpecificExitCode: 0,
      checkPoint: 0,
      waitHintMs: 0,
    });
  });

  test("any other end is a service-specific failure carrying the exit code, so recovery restarts it", () => {
    // 12: the self-update asks its service manager for a restart.
    expect(finalStatus(12, false)).toMatchObject({ win32ExitCode: 1066, serviceSpecificExitCode: 12 });
    expect(finalStatus(3, true)).toMatchObject({ win32ExitCode: 1066, serviceSpecificExitCode: 3 });
    // A daemon that returned 0 without being asked to stop still failed.
    expect(finalStatus(0, false)).toMatchObject({ win32ExitCode: 1066, serviceSpecificExitCode: 1 });
    // Windows' negative NTSTATUS-style codes keep their bits.
    expect(finalStatus(-1073741819, false).serviceSpecificExitCode).toBe(0xc0000005);
  });

  test("SERVICE_STATUS is seven DWORDs, own process first, and reads back", () => {
    const status = {
      currentState: win32.SERVICE_RUNNING,
      controlsAccepted: win32.SERVICE_ACCEPT_STOP | win32.SERVICE_ACCEPT_SHUTDOWN,
      win32ExitCode: 0,
      serviceSpecificExitCode: 0,
      checkPoint: 0,
      waitHintMs: 0,
    };
    const words = encodeServiceStatus(status);
    expect([...words]).toEqual([0x10, 4, 5, 0, 0, 0, 0]);
    expect(decodeServiceStatus(words)).toEqual(status);
  });
});

describe("recovery", () => {
  test("restart on every failure, a non-zero exit included, the count reset after a day", () => {
    expect(recovery.failureActionsOnNonCrashFailures).toBe(true);
    expect([...encodeRestartActions(recovery.restartDelaysMs)]).toEqual([1, 5000, 1, 30000, 1, 60000]);
    expect(recovery.resetPeriodSeconds).toBe(86400);
  });

  test("SERVICE_FAILURE_ACTIONSW: reset period, no reboot message, no command, the actions", () => {
    const buffer = encodeFailureActions(86400, 0x1122334455667788n, 3);
    expect(buffer.length).toBe(40);
    expect(buffer.readUInt32LE(0)).toBe(86400);
    expect(buffer.readBigUInt64LE(8)).toBe(0n);
    expect(buffer.readBigUInt64LE(16)).toBe(0n);
    expect(buffer.readUInt32LE(24)).toBe(3);
    expect(buffer.readBigUInt64LE(32)).toBe(0x1122334455667788n);
  });
});

describe("strings and access", () => {
  test("wide strings are NUL-terminated UTF-16LE; a NUL inside is refused", () => {
    expect([...wideString("Aé")]).toEqual([0x41, 0, 0xe9, 0, 0, 0]);
    expect(() => wideString("a\0b")).toThrow("NUL");
  });

  test("the installer asks for the rights it uses and no more", () => {
    expect(managerAccess).toBe(0x3); // connect, create service: not SC_MANAGER_ALL_ACCESS
    expect(serviceAccess).toBe(0x10037); // query/change config, query status, start, stop, delete
  });

  test("errors an installer meets are in words, with their code", () => {
    expect(describeWin32Error(5)).toBe("access denied (run it as Administrator) (5)");
    expect(describeWin32Error(1072)).toContain("marked for deletion");
    expect(describeWin32Error(87)).toBe("Windows error (87)");
  });
});

/**
 * The layouts and constants above, checked against the Windows SDK's own headers (mingw-w64's
 * winsvc.h and winerror.h) by the C compiler: a wrong offset, size or value fails to compile.
 */
test("every structure and constant matches the Windows headers (x86_64-w64-mingw32-gcc)", () => {
  const asserts: string[] = [];
  const check = (expression: string, expected: number | bigint) =>
    asserts.push(`_Static_assert((${expression}) == ${expected}ULL, "${expression.replaceAll('"', "'")}");`);
  for (const [name, value] of Object.entries(win32)) check(name, value);

  const status = new Uint8Array(encodeServiceStatus(finalStatus(0, true)).buffer);
  check("sizeof(SERVICE_STATUS)", status.length);
  const statusFields = [
    "dwServiceType",
    "dwCurrentState",
    "dwControlsAccepted",
    "dwWin32ExitCode",
    "dwServiceSpecificExitCode",
    "dwCheckPoint",
    "dwWaitHint",
  ];
  for (const [index, field] of statusFields.entries()) check(`offsetof(SERVICE_STATUS, ${field})`, index * 4);

  const failureActions = encodeFailureActions(0x11111111, 0x4444444444444444n, 0x33333333);
  check("sizeof(SERVICE_FAILURE_ACTIONSW)", failureActions.length);
  check(
    "offsetof(SERVICE_FAILURE_ACTIONSW, dwResetPeriod)",
    failureActions.indexOf(Buffer.from([0x11, 0x11, 0x11, 0x11])),
  );
  check("offsetof(SERVICE_FAILURE_ACTIONSW, lpRebootMsg)", 8);
  check("offsetof(SERVICE_FAILURE_ACTIONSW, lpCommand)", 16);
  check(
    "offsetof(SERVICE_FAILURE_ACTIONSW, cActions)",
    failureActions.indexOf(Buffer.from([0x33, 0x33, 0x33, 0x33])),
  );
  check("offsetof(SERVICE_FAILURE_ACTIONSW, lpsaActions)", failureActions.indexOf(Buffer.alloc(8, 0x44)));

  const actions = encodeRestartActions([7]);
  check("sizeof(SC_ACTION)", actions.byteLength);
  check("offsetof(SC_ACTION, Type)", 0);
  check("offsetof(SC_ACTION, Delay)", 4);
  check("SC_ACTION_RESTART", actions[0] ?? -1);

  const table = encodeServiceTable(1, 2);
  check("sizeof(SERVICE_TABLE_ENTRYW)", table.byteLength / 2);
  check("offsetof(SERVICE_TABLE_ENTRYW, lpServiceName)", table.indexOf(1n) * 8);
  check("offsetof(SERVICE_TABLE_ENTRYW, lpServiceProc)", table.indexOf(2n) * 8);
  check("sizeof(SERVICE_DESCRIPTIONW)", encodeDescription(1).byteLength);
  check("sizeof(SERVICE_FAILURE_ACTIONS_FLAG)", encodeFailureActionsFlag(true).byteLength);

  const directory = mkdtempSync(join(tmpdir(), "redflag-winsvc-layout-"));
  try {
    const source = join(directory, "layout.c");
    writeFileSync(source, `#include <windows.h>\n#include <stddef.h>\n${asserts.join("\n")}\n`);
    const compiled = Bun.spawnSync(["x86_64-w64-mingw32-gcc", "-fsyntax-only", source], { stderr: "pipe" });
    expect(compiled.stderr.toString()).toBe("");
    expect(compiled.exitCode).toBe(0);
    expect(asserts.length).toBeGreaterThan(50);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
