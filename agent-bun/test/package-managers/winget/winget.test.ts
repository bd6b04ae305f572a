import { describe, expect, test } from "bun:test";
import { AgentError } from "../../../src/errors.ts";
import {
  isWingetId,
  parseWingetList,
  parseWingetUpgrades,
  sliceByColumns,
  visibleLines,
  wingetListArgv,
  wingetListUpgradesArgv,
  wingetNoApplicationsFound,
  wingetScanItems,
  wingetUpgradeArgv,
} from "../../../src/package-managers/winget/index.ts";
import { caught, readFixture } from "../fixtures.ts";

// No winget here: recorded outputs with winget's column widths, spinner and progress garbage.

const fixture = (name: string) => readFixture("winget", name);
const ok = (stdout: string) => ({ exitCode: 0, stdout, stderr: "" });

describe("winget upgrade table", () => {
  test("English: columns from the header, truncated names kept, truncated ids set aside, explicit targeting", () => {
    const list = parseWingetUpgrades(ok(fixture("upgrade-en.txt")));
    expect(
      list.upgrades.map((upgrade) => [upgrade.id, upgrade.version, upgrade.available, upgrade.source]),
    ).toEqual([
      ["Microsoft.Edge", "120.0.2210.91", "121.0.2277.83", "winget"],
      ["Git.Git", "2.43.0", "2.44.0", "winget"],
      ["Microsoft.VCRedist.2015+.x64", "14.36.32532.0", "14.38.33135.0", "winget"],
      ["Notepad++.Notepad++", "8.6.2", "8.6.4", "winget"],
      ["7zip.7zip", "23.01", "24.01", "winget"],
      ["Microsoft.DotNet.DesktopRuntime.8", "8.0.1", "8.0.2", "winget"],
      ["Discord.Discord", "1.0.9028", "1.0.9032", "winget"],
    ]);
    const redistributable = list.upgrades[2];
    expect(redistributable).toMatchObject({
      name: "Microsoft Visual C++ 2015-2022 Redis…",
      nameTruncated: true,
    });
    expect(list.upgrades[6]?.requiresExplicitTargeting).toBe(true);
    expect(list.upgrades[0]?.requiresExplicitTargeting).toBe(false);
    expect(list.unresolved).toHaveLength(1);
    expect(list.unresolved[0]?.row.id).toBe("Mozilla.Thunderbird.ExtendedSupportRele…");

    const items = wingetScanItems(list);
    expect(items[0]).toEqual({
      packageName: "Microsoft.Edge",
      target: "",
      currentVersion: "120.0.2210.91",
      availableVersion: "121.0.2277.83",
      severity: "unknown",
      security: false,
      cves: [],
      source: "winget",
      sizeBytes: null,
      metadata: { name: "Microsoft Edge" },
    });
    expect(items[6]?.metadata).toEqual({ name: "Discord", requiresExplicitTargeting: true });
  });

  test("German: localized header, non-ASCII and double-width names", () => {
    const list = parseWingetUpgrades(ok(fixture("upgrade-de.txt")));
    expect(
      list.upgrades.map((upgrade) => [upgrade.name, upgrade.id, upgrade.version, upgrade.available]),
    ).toEqual([
      ["Mozilla Firefox (x64 de)", "Mozilla.Firefox", "122.0", "123.0"],
      ["Übersetzungs-Tool für Büro", "Contoso.Uebersetzer", "1.2.0", "1.3.0"],
      ["微信", "Tencent.WeChat", "3.9.8.25", "3.9.9.43"],
      ["Paint.NET", "dotPDN.PaintDotNet", "5.0.11", "5.0.12"],
    ]);
  });

  test("French: localized header and footer, truncated name with non-ASCII", () => {
    const list = parseWingetUpgrades(ok(fixture("upgrade-fr.txt")));
    expect(list.upgrades.map((upgrade) => [upgrade.name, upgrade.id, upgrade.available])).toEqual([
      ["Visual Studio Code", "Microsoft.VisualStudioCode", "1.86.1"],
      ["Éditeur de ressources à l’int…", "Contoso.Editeur", "2.1"],
      ["PowerToys (Preview) x64", "Microsoft.PowerToys", "0.78.0"],
    ]);
  });

  test("zero upgrades, in English, German and French", () => {
    for (const name of ["upgrade-none-en.txt", "upgrade-none-de.txt", "upgrade-none-fr.txt"]) {
      expect([name, parseWingetUpgrades(ok(fixture(name)))]).toEqual([
        name,
        { upgrades: [], unresolved: [] },
      ]);
    }
  });

  test("empty output, garbage, a count that disagrees and a failing winget are errors", () => {
    const cases = [
      ok(""),
      ok("\r   - \r   \\ \r"),
      ok("Something unexpected happened.\r\n"),
      ok(fixture("upgrade-de.txt").replace("4 Aktualisierungen", "5 Aktualisierungen")),
      {
        exitCode: -1978335217,
        stdout:
          "Failed when searching source: winget\r\nAn unexpected error occurred while executing the command:\r\n0x8a15000f : Data required by the source is missing\r\n",
        stderr: "",
      },
    ];
    for (const output of cases) expect(caught(() => parseWingetUpgrades(output))).toBeInstanceOf(AgentError);
    const sourceError = caught(() => parseWingetUpgrades(cases[4] ?? ok(""))) as AgentError;
    expect(sourceError.message).toContain("0x8A15000F");
    expect(sourceError.retryable).toBe(true);
  });

  test("screen cleaning and display-width slicing", () => {
    expect(visibleLines("\r - \r \\ \rName  Id\r\n\u001b[2Kx\n")).toEqual(["Name  Id", "x", ""]);
    expect(sliceByColumns("微信 Tencent.WeChat 1", [0, 5, 20])).toEqual(["微信", "Tencent.WeChat", "1"]);
  });
});

describe("winget ids, argv and list verification", () => {
  test("ids: publisher.package and store ids; no spaces, options or ellipses", () => {
    for (const id of [
      "Microsoft.Edge",
      "Notepad++.Notepad++",
      "Microsoft.VCRedist.2015+.x64",
      "9NBLGGH4NNS1",
      "7zip.7zip",
    ]) {
      expect(isWingetId(id)).toBe(true);
    }
    for (const id of [
      "",
      "--all",
      "-h",
      "Git Git",
      "Mozilla.Thunderbird…",
      "a;b",
      "x".repeat(200),
      "ARP\\Machine\\X64\\Git",
    ]) {
      expect(isWingetId(id)).toBe(false);
    }
  });

  test("argv builders", () => {
    expect(wingetUpgradeArgv("Git.Git")).toEqual([
      "winget",
      "upgrade",
      "--id",
      "Git.Git",
      "--exact",
      "--silent",
      "--accept-package-agreements",
      "--accept-source-agreements",
    ]);
    expect(wingetListArgv("Git.Git")).toEqual([
      "winget",
      "list",
      "--id",
      "Git.Git",
      "--exact",
      "--accept-source-agreements",
    ]);
    expect(wingetListUpgradesArgv()).toEqual(["winget", "upgrade", "--accept-source-agreements"]);
    expect((caught(() => wingetUpgradeArgv("--all")) as AgentError).kind).toBe("invalid_input");
  });

  test("list: installed version with or without an Available column; not found is null", () => {
    expect(parseWingetList(ok(fixture("list-git-en.txt")), "Git.Git")).toEqual({
      name: "Git",
      id: "Git.Git",
      version: "2.44.0",
      available: null,
      source: "winget",
    });
    expect(parseWingetList(ok(fixture("list-git-noavailable.txt")), "Git.Git")?.version).toBe("2.43.0");
    expect(parseWingetList(ok(fixture("upgrade-none-en.txt")), "Git.Git")).toBeNull();
    expect(
      parseWingetList(
        { exitCode: wingetNoApplicationsFound | 0, stdout: fixture("upgrade-none-de.txt"), stderr: "" },
        "Git.Git",
      ),
    ).toBeNull();
    expect(caught(() => parseWingetList(ok(fixture("list-git-en.txt")), "Other.App"))).toBeInstanceOf(
      AgentError,
    );
    expect(caught(() => parseWingetList(ok(""), "Git.Git"))).toBeInstanceOf(AgentError);
  });
});
