import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWindowsUpdateInstaller } from "../../src/package-managers/windows-update/installer.ts";
import { createWindowsUpdateScanner } from "../../src/package-managers/windows-update/scanner.ts";
import { createWingetInstaller } from "../../src/package-managers/winget/installer.ts";
import { createWingetScanner } from "../../src/package-managers/winget/scanner.ts";
import { runScan } from "../../src/scan.ts";
import { agentConfig, statuses, targetFor } from "../helpers/agent-config.ts";
import { AptSandbox } from "../package-managers/apt/apt-sandbox.ts";
import { StandIn } from "./standins.ts";

// PowerShell and winget do not run here: stand-ins on disk answer the agent's real process calls
// with outputs recorded on Windows (the platforms' fixtures), so the scanners' and installers' own
// code runs, argv and all. The Windows exe itself is run under Wine by windows-agent.e2e.ts.

const work = mkdtempSync(join(tmpdir(), "redflag-windows-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const platformFixtures = join(import.meta.dir, "../package-managers");
const wu = (name: string) => join(platformFixtures, "windows-update/fixtures", name);
const winget = (name: string) => join(platformFixtures, "winget/fixtures", name);
const own = (name: string) => join(import.meta.dir, "fixtures", name);
let counter = 0;
const directory = () => join(work, String(counter++));

describe("Windows Update through PowerShell", () => {
  test("the scan runs the COM script with -NoProfile -NonInteractive and reads KB ids, severity, CVEs", async () => {
    const powershell = new StandIn(directory(), "powershell.exe").answer("default", {
      file: wu("several-updates.txt"),
    });
    const config = agentConfig({ windowsUpdate: { enabled: true, powershell: powershell.program } });
    const items = await createWindowsUpdateScanner(config).scan();
    expect(items[0]).toMatchObject({
      packageName: "KB5034123",
      severity: "important",
      security: true,
      cves: ["CVE-2024-20653", "CVE-2024-20674", "CVE-2024-20700", "CVE-2024-21307"],
      source: "Windows Update",
    });
    const call = powershell.calls().join("\n");
    expect(call).toStartWith(
      "argv: [-NoProfile] [-NonInteractive] [-ExecutionPolicy] [Bypass] [-Command] [$ErrorActionPreference = 'Stop'",
    );
    expect(call).toContain("New-Object -ComObject Microsoft.Update.Session");
  });

  test("empty output, a missing PowerShell, an error JSON and truncated output are errors, never zero updates", async () => {
    const cases: [StandIn | string, string][] = [
      [
        new StandIn(directory(), "powershell.exe").answer("default", { text: "" }),
        "Windows Update search: PowerShell printed nothing (exit 0)",
      ],
      [join(work, "no-such-powershell.exe"), "run "],
      [
        new StandIn(directory(), "powershell.exe").answer("default", { file: wu("error-offline.txt") }, 1),
        "Exception from HRESULT: 0x8024402C (0x8024402C)",
      ],
      [
        new StandIn(directory(), "powershell.exe").answer("default", { file: own("truncated.txt") }),
        "the output is not the script's JSON",
      ],
    ];
    for (const [standIn, message] of cases) {
      const program = typeof standIn === "string" ? standIn : standIn.program;
      const scanner = createWindowsUpdateScanner(
        agentConfig({ windowsUpdate: { enabled: true, powershell: program } }),
      );
      await expect(scanner.scan()).rejects.toThrow(message);
    }
  });

  test("dry run and install pass the KB through the environment, never into the script, and verify", async () => {
    const powershell = new StandIn(directory(), "powershell.exe", {
      loggedVariables: ["REDFLAG_WU_MODE", "REDFLAG_WU_TARGETS"],
    }).answer("default", { file: wu("several-updates.txt") });
    const config = agentConfig({ windowsUpdate: { enabled: true, powershell: powershell.program } });
    const [item] = await createWindowsUpdateScanner(config).scan();
    if (item === undefined) throw new Error("no update");
    const target = targetFor("windows_update", item);
    const installer = createWindowsUpdateInstaller(config);
    powershell.answer("default", { file: own("plan-kb5034123.txt") });
    const plan = await installer.dryRun([target]);
    expect(plan.changes).toEqual([
      {
        action: "install",
        packageName: "KB5034123",
        currentVersion: null,
        newVersion: "2024-01 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems (KB5034123)",
      },
    ]);
    powershell.answer("default", { file: own("install-kb5034123.txt") });
    const result = await installer.install([target], () => {});
    expect(statuses(result.outcomes)).toEqual([`installed ${item.availableVersion}`]);
    expect(result.outcomes[0]?.message).toBe("a reboot completes it");
    const calls = powershell.calls();
    expect(calls.filter((line) => line.startsWith("REDFLAG_"))).toEqual([
      "REDFLAG_WU_MODE=",
      "REDFLAG_WU_TARGETS=",
      "REDFLAG_WU_MODE=plan",
      "REDFLAG_WU_TARGETS=5034123",
      "REDFLAG_WU_MODE=install",
      "REDFLAG_WU_TARGETS=5034123",
    ]);
    expect(calls.filter((line) => line.startsWith("argv:")).every((line) => !line.includes("5034123"))).toBe(
      true,
    );
    await expect(
      installer.install([{ ...target, packageName: "KB1; Restart-Computer" }], () => {}),
    ).rejects.toThrow("is neither a KB id nor an update id");
  });
});

describe("winget", () => {
  test("the scan reads the real table; the install runs winget upgrade --id --exact --silent and verifies with winget list", async () => {
    const wingetStandIn = new StandIn(directory(), "winget")
      .answer("upgrade", { file: winget("upgrade-en.txt") })
      .answer("list-id", { file: winget("list-git-noavailable.txt") })
      .answer("upgrade-id", { file: own("upgrade-git-ok.txt") })
      .afterwards("upgrade-id", "list-id", winget("list-git-en.txt"));
    const config = agentConfig({ winget: { enabled: true, program: wingetStandIn.program } });
    const items = await createWingetScanner(config).scan();
    const git = items.find((item) => item.packageName === "Git.Git");
    expect(git).toMatchObject({
      currentVersion: "2.43.0",
      availableVersion: "2.44.0",
      source: "winget",
      metadata: { name: "Git" },
    });
    expect(items.find((item) => item.packageName === "Discord.Discord")?.metadata).toMatchObject({
      requiresExplicitTargeting: true,
    });
    if (git === undefined) throw new Error("no Git");
    const result = await createWingetInstaller(config).install([targetFor("winget", git)], () => {});
    expect(statuses(result.outcomes)).toEqual(["installed 2.44.0"]);
    expect(wingetStandIn.calls()).toEqual([
      "argv: [upgrade] [--accept-source-agreements]",
      "argv: [upgrade] [--id] [Git.Git] [--exact] [--silent] [--accept-package-agreements] [--accept-source-agreements]",
      "argv: [list] [--id] [Git.Git] [--exact] [--accept-source-agreements]",
    ]);
  });

  test("an upgrade that leaves the old version installed fails, whatever winget's exit code", async () => {
    const wingetStandIn = new StandIn(directory(), "winget")
      .answer("upgrade-id", { file: own("upgrade-not-applicable.txt") }, 0)
      .answer("list-id", { file: winget("list-git-en.txt") });
    const config = agentConfig({ winget: { enabled: true, program: wingetStandIn.program } });
    const target = targetFor("winget", {
      packageName: "Git.Git",
      target: "",
      currentVersion: "2.43.0",
      availableVersion: "2.45.0",
      severity: "unknown",
      security: false,
      cves: [],
      source: "winget",
      sizeBytes: null,
      metadata: {},
    });
    const result = await createWingetInstaller(config).install([target], () => {});
    expect(result.outcomes[0]).toMatchObject({ status: "failed", installedVersion: "2.44.0" });
    expect(result.outcomes[0]?.message).toContain("expected 2.45.0");
  });
});

describe("bad tool output", () => {
  test("garbage, truncated output and non-zero exits fail their own scanner only; the others keep their results", async () => {
    const apt = new AptSandbox([]);
    try {
      const wingetStandIn = new StandIn(directory(), "winget").answer("upgrade", {
        file: winget("upgrade-de.txt"),
      });
      const powershell = new StandIn(directory(), "powershell.exe").answer("default", {
        file: own("truncated.txt"),
      });
      const dnf = new StandIn(directory(), "dnf").answer(
        "default",
        { text: 'Traceback (most recent call last):\n  File "/usr/bin/dnf", line 61\n' },
        1,
      );
      const config = agentConfig({
        apt: { configFile: apt.configFile },
        dnf: { enabled: true, program: dnf.program },
        docker: { enabled: false },
        windowsUpdate: { enabled: true, powershell: powershell.program },
        winget: { enabled: true, program: wingetStandIn.program },
      });
      const scan = await runScan(config);
      const byType = new Map(scan.scanners.map((scanner) => [scanner.packageType, scanner]));
      expect([...byType.keys()].sort()).toEqual(["apt", "dnf", "windows_update", "winget"]);
      expect(byType.get("apt")).toEqual({ packageType: "apt", status: "ok", items: [] });
      const wingetReport = byType.get("winget");
      expect(wingetReport?.status === "ok" ? wingetReport.items.length : -1).toBeGreaterThan(0);
      expect(byType.get("windows_update")).toMatchObject({ status: "error" });
      expect(JSON.stringify(byType.get("windows_update"))).toContain(
        "Windows Update search: the output is not the script's JSON",
      );
      expect(byType.get("dnf")).toMatchObject({ status: "error" });
      // The scan's first dnf command (the host's version locks) meets the broken dnf.
      expect(JSON.stringify(byType.get("dnf"))).toContain("dnf versionlock list: exited with 1");
    } finally {
      apt.remove();
    }
  });
});
