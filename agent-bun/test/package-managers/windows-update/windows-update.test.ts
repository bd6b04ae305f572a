import { describe, expect, test } from "bun:test";
import { severityFromWord } from "@redflag/contracts";
import { AgentError } from "../../../src/errors.ts";
import { runProgram } from "../../../src/host/run.ts";
import {
  parseWindowsUpdateOutput,
  windowsUpdateScanArgv,
  windowsUpdateScanItems,
  windowsUpdateScanScript,
} from "../../../src/package-managers/windows-update/index.ts";
import { caught, caughtAsync, readFixture } from "../fixtures.ts";

// No PowerShell here: the script's output is recorded, and the argv and script text are checked.

const fixture = (name: string) => readFixture("windows-update", name);
const ok = (stdout: string) => ({ exitCode: 0, stdout, stderr: "" });

describe("Windows Update script and argv", () => {
  test("argv: powershell.exe with the script as one element", () => {
    const argv = windowsUpdateScanArgv();
    expect(argv.slice(0, 6)).toEqual([
      "powershell.exe",
      "-NoProfile",
      "-NonInteractive",
      "-ExecutionPolicy",
      "Bypass",
      "-Command",
    ]);
    expect(argv[6]).toBe(windowsUpdateScanScript);
    expect(argv).toHaveLength(7);
  });

  test("the script searches not-installed, not-hidden updates and always prints JSON", () => {
    expect(windowsUpdateScanScript).toContain("New-Object -ComObject Microsoft.Update.Session");
    expect(windowsUpdateScanScript).toContain("$searcher.Search('IsInstalled=0 and IsHidden=0')");
    for (const field of [
      "Title",
      "KBArticleIDs",
      "MsrcSeverity",
      "Categories",
      "CveIDs",
      "RebootRequired",
      "MaxDownloadSize",
    ]) {
      expect(windowsUpdateScanScript).toContain(`${field} =`);
    }
    expect(windowsUpdateScanScript).toContain("ConvertTo-Json");
    expect(windowsUpdateScanScript).toContain("exit 1");
    // Double quotes would need Windows command-line escaping; the script has none.
    expect(windowsUpdateScanScript).not.toContain('"');
  });

  test("severity from MSRC", () => {
    expect(["Critical", "Important", "Moderate", "Low", "", "Unspecified"].map(severityFromWord)).toEqual([
      "critical",
      "important",
      "moderate",
      "low",
      "unknown",
      "unknown",
    ]);
  });
});

describe("Windows Update output", () => {
  test("zero updates is an empty list only when the script said so", () => {
    expect(parseWindowsUpdateOutput(ok(fixture("zero-updates.txt")))).toEqual([]);
  });

  test("several updates: cumulative, .NET, Defender definitions, MSRT, a driver", () => {
    const updates = parseWindowsUpdateOutput(ok(fixture("several-updates.txt")));
    expect(updates).toHaveLength(5);
    const items = windowsUpdateScanItems(updates);
    expect(
      items.map((item) => [item.packageName, item.availableVersion, item.severity, item.security]),
    ).toEqual([
      ["KB5034123", "revision 1", "important", true],
      ["KB2267602", "1.403.3053.0", "unknown", false],
      ["KB5033920", "revision 1", "critical", true],
      ["KB890830", "revision 1", "unknown", false],
      ["e4f1a2b3-c4d5-4e6f-8a9b-0c1d2e3f4a5b", "revision 1", "unknown", false],
    ]);
    expect(items[0]).toMatchObject({
      target: "",
      currentVersion: null,
      cves: ["CVE-2024-20653", "CVE-2024-20674", "CVE-2024-20700", "CVE-2024-21307"],
      source: "Windows Update",
      sizeBytes: 4297458688,
      metadata: {
        title: "2024-01 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems (KB5034123)",
        kbArticleIds: ["5034123"],
        categories: ["Security Updates", "Windows 11"],
        rebootBehavior: "always",
        downloaded: false,
      },
    });
    expect(items[1]?.metadata).toMatchObject({
      categories: ["Definition Updates", "Microsoft Defender Antivirus"],
    });
  });

  test("localized titles and warnings before the JSON line", () => {
    const [item] = windowsUpdateScanItems(parseWindowsUpdateOutput(ok(fixture("german-update.txt"))));
    expect(item?.packageName).toBe("KB5034122");
    expect(item?.metadata.title).toBe(
      "2024-01 Kumulatives Update für Windows 10 Version 22H2 für x64-basierte Systeme (KB5034122)",
    );
    expect(item?.security).toBe(true);
  });

  test("security by category id, whatever the language of the category name", () => {
    const stdout = JSON.stringify({
      ok: true,
      resultCode: 2,
      updates: [
        {
          Title: "Mise à jour de sécurité (KB5034000)",
          UpdateId: "11111111-2222-3333-4444-555555555555",
          RevisionNumber: 3,
          KBArticleIDs: ["5034000"],
          MsrcSeverity: "",
          Categories: ["Mises à jour de la sécurité"],
          CategoryIds: ["0FA1201D-4330-4FA8-8AE9-B877473B6441"],
          CveIDs: [],
          RebootRequired: true,
          RebootBehavior: 2,
          MaxDownloadSize: 1024.0,
          IsDownloaded: true,
        },
      ],
    });
    const [item] = windowsUpdateScanItems(parseWindowsUpdateOutput(ok(stdout)));
    expect(item).toMatchObject({ security: true, severity: "unknown", availableVersion: "revision 3" });
    expect(item?.metadata).toMatchObject({ rebootRequired: true, rebootBehavior: "can-request" });
  });

  test("a script error is an error, retryable when the HRESULT is transient", () => {
    const offline = caught(() =>
      parseWindowsUpdateOutput({ exitCode: 1, stdout: fixture("error-offline.txt"), stderr: "" }),
    ) as AgentError;
    expect(offline).toBeInstanceOf(AgentError);
    expect(offline).toMatchObject({ kind: "failed", retryable: true });
    expect(offline.message).toContain("0x8024402C");
    const denied = caught(() =>
      parseWindowsUpdateOutput({ exitCode: 1, stdout: fixture("error-access-denied.txt"), stderr: "" }),
    ) as AgentError;
    expect(denied).toMatchObject({ kind: "unauthorized", retryable: false });
  });

  test("empty output, non-JSON, wrong JSON and PowerShell's own errors are never 'no updates'", () => {
    const cases = [
      { exitCode: 0, stdout: "", stderr: "" },
      { exitCode: 0, stdout: "\r\n", stderr: "" },
      { exitCode: 1, stdout: "", stderr: fixture("com-failure-stderr.txt") },
      { exitCode: 0, stdout: "Hello from a stub\r\n", stderr: "" },
      { exitCode: 0, stdout: '{"ok":true}', stderr: "" },
      { exitCode: 0, stdout: '{"ok":true,"resultCode":2,"updates":[{"Title":"x"}]}', stderr: "" },
      { exitCode: 0, stdout: '{"ok":true,"resultCode":4,"updates":[]}', stderr: "" },
      { exitCode: 1, stdout: fixture("zero-updates.txt"), stderr: "" },
      { exitCode: 0, stdout: "[]", stderr: "" },
    ];
    for (const output of cases) {
      const error = caught(() => parseWindowsUpdateOutput(output));
      expect(error).toBeInstanceOf(AgentError);
    }
    const com = caught(() => parseWindowsUpdateOutput(cases[2] ?? ok(""))) as AgentError;
    expect(com.message).toContain("CO_E_SERVER_EXEC_FAILURE");
  });

  test("a missing powershell.exe is a 'missing' error from the process helper", async () => {
    const error = (await caughtAsync(() =>
      runProgram(windowsUpdateScanArgv("/nonexistent/powershell.exe"), {
        source: "windows_update",
        env: {},
        timeoutMs: 60_000,
      }),
    )) as AgentError;
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({ kind: "missing", retryable: false });
    const notFound = caught(() =>
      parseWindowsUpdateOutput({
        exitCode: 1,
        stdout: "",
        stderr: "'powershell.exe' is not recognized as an internal or external command,",
      }),
    ) as AgentError;
    expect(notFound.kind).toBe("missing");
  });
});
