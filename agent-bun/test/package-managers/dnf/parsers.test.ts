import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentError } from "../../../src/errors.ts";
import {
  assertRpmPackageName,
  checkUpdateArgv,
  compareEvr,
  compareRpmVersion,
  dnfCacheDirectories,
  dnfScanItems,
  isExactlyInstalled,
  isRpmPackageName,
  mainOption,
  parseCheckUpdate,
  parseEvr,
  parseNeedsRestarting,
  parseNevra,
  parseRpmQuery,
  parseUpdateinfoInfo,
  parseUpdateinfoList,
  rpmFileName,
  rpmQueryArgv,
  upgradeArgv,
} from "../../../src/package-managers/dnf/index.ts";
import { caught, readFixture } from "../fixtures.ts";

const fixture = (name: string) => readFixture("dnf", name);
const ok = (stdout: string, exitCode = 0) => ({ exitCode, stdout, stderr: "" });

describe("dnf check-update", () => {
  test("dnf4 output: wrapped lines are joined, epochs kept, obsoletes attached", () => {
    const { updates } = parseCheckUpdate(ok(fixture("check-update-dnf4-wrapped.txt"), 100));
    expect(
      updates.map((update) => `${update.name}.${update.arch} ${update.evr} ${update.repository}`),
    ).toEqual([
      "NetworkManager.x86_64 1:1.46.0-2.el9_4 baseos",
      "NetworkManager-libnm.x86_64 1:1.46.0-2.el9_4 baseos",
      "kernel.x86_64 5.14.0-427.18.1.el9_4 baseos",
      "python3-software-properties-common-extras.noarch 0.99.22-1.el9 appstream",
      "texlive-collection-latexrecommended-20200406.noarch 11:20200406-26.el9_2 appstream",
      "tzdata.noarch 2024a-1.el9 baseos",
      "grub2-tools.x86_64 1:2.06-77.el9 baseos",
      "grub2-tools-efi-extra-long-name-for-test.x86_64 1:2.06-77.el9 baseos",
    ]);
    const grub = updates.find((update) => update.name === "grub2-tools");
    expect(grub?.obsoletes).toEqual([
      { name: "grub2-tools", arch: "x86_64", evr: "1:2.06-70.el9", repository: "@baseos" },
    ]);
    const efi = updates.find((update) => update.name === "grub2-tools-efi-extra-long-name-for-test");
    expect(efi?.obsoletes.map((old) => old.name)).toEqual(["grub2-tools-extra"]);
  });

  test("dnf5 output: repository loading lines are skipped, lower-case obsoletes header", () => {
    const { updates } = parseCheckUpdate(ok(fixture("check-update-dnf5.txt"), 100));
    expect(updates.map((update) => update.name)).toEqual([
      "curl",
      "libcurl",
      "vim-enhanced",
      "systemd-networkd",
    ]);
    expect(updates[2]?.evr).toBe("2:9.1.1122-1.fc41");
    expect(updates[3]?.obsoletes[0]?.evr).toBe("256.11-1.fc41");
  });

  test("exit 0 with only the metadata line means no updates", () => {
    const stdout = "Last metadata expiration check: 0:00:01 ago on Mon Nov 23 17:26:14 2026.\n\n";
    expect(parseCheckUpdate(ok(stdout, 0)).updates).toEqual([]);
  });

  test("exit 1 is an error with dnf's message, retryable for a download failure", () => {
    const error = caught(() =>
      parseCheckUpdate({ exitCode: 1, stdout: "", stderr: fixture("check-update-error.txt") }),
    );
    expect(error).toBeInstanceOf(AgentError);
    const platformError = error as AgentError;
    expect(platformError.kind).toBe("failed");
    expect(platformError.retryable).toBe(true);
    expect(platformError.message).toContain("Failed to download metadata for repo 'baseos'");
  });

  test("exit 1 without a transient cause is not retryable", () => {
    const error = caught(() =>
      parseCheckUpdate({ exitCode: 1, stdout: "", stderr: "Error: Unknown repo: 'nope'" }),
    ) as AgentError;
    expect(error.retryable).toBe(false);
  });

  test("exit 100 without any readable package is an error, never an empty list", () => {
    const error = caught(() => parseCheckUpdate(ok("\n", 100))) as AgentError;
    expect(error.kind).toBe("unrecognized");
  });

  test("garbage lines are an error", () => {
    const error = caught(() => parseCheckUpdate(ok("this is not dnf output at all\n", 100))) as AgentError;
    expect(error.kind).toBe("unrecognized");
    expect(error.message).toContain("line 1");
  });

  test("a wrapped line cut off at the end is an error", () => {
    const error = caught(() => parseCheckUpdate(ok("a-very-long-name.noarch\n", 100))) as AgentError;
    expect(error.kind).toBe("unrecognized");
  });
});

describe("dnf updateinfo", () => {
  test("dnf4 list: advisory id, type, severity and package", () => {
    const advisories = parseUpdateinfoList(ok(fixture("updateinfo-list-dnf4.txt")));
    expect(advisories).toHaveLength(7);
    expect(advisories[0]).toEqual({
      advisoryId: "RHSA-2024:3339",
      type: "security",
      severity: "important",
      package: { name: "NetworkManager", arch: "x86_64", epoch: 1, version: "1.46.0", release: "2.el9_4" },
    });
    expect(advisories.map((advisory) => [advisory.type, advisory.severity])).toEqual([
      ["security", "important"],
      ["security", "important"],
      ["security", "moderate"],
      ["security", "critical"],
      ["bugfix", "unknown"],
      ["enhancement", "unknown"],
      ["security", "unknown"],
    ]);
  });

  test("dnf5 list: header skipped, type and severity columns", () => {
    const advisories = parseUpdateinfoList(ok(fixture("updateinfo-list-dnf5.txt")));
    expect(
      advisories.map((advisory) => `${advisory.advisoryId} ${advisory.type} ${advisory.severity}`),
    ).toEqual([
      "FEDORA-2025-1a2b3c4d5e security moderate",
      "FEDORA-2025-1a2b3c4d5e security moderate",
      "FEDORA-2025-9f8e7d6c5b bugfix unknown",
    ]);
    expect(advisories[2]?.package.epoch).toBe(2);
  });

  test("list: a failing dnf and unknown lines are errors", () => {
    expect(
      (caught(() => parseUpdateinfoList({ exitCode: 1, stdout: "", stderr: "Error" })) as AgentError).kind,
    ).toBe("failed");
    expect(
      (caught(() => parseUpdateinfoList(ok("RHSA-1 Weird/Label foo-1-1.noarch\n"))) as AgentError).kind,
    ).toBe("unrecognized");
  });

  test("dnf4 info: CVE ids from CVEs and Bugs lines, continuation lines, severity", () => {
    const details = parseUpdateinfoInfo(ok(fixture("updateinfo-info-dnf4.txt")));
    expect(details.map((detail) => detail.advisoryId)).toEqual([
      "RHSA-2024:3339",
      "RHSA-2024:3306",
      "RHSA-2024:3307",
      "RHBA-2024:2101",
    ]);
    expect(details[0]).toEqual({
      advisoryId: "RHSA-2024:3339",
      title: "Important: NetworkManager security update",
      type: "security",
      severity: "important",
      cves: ["CVE-2024-3651", "CVE-2024-3652"],
    });
    expect(details[3]).toMatchObject({ type: "bugfix", severity: "unknown", cves: [] });
  });

  test("dnf5 info: CVE ids from references, severity None is unknown", () => {
    const details = parseUpdateinfoInfo(ok(fixture("updateinfo-info-dnf5.txt")));
    expect(details).toEqual([
      {
        advisoryId: "FEDORA-2025-1a2b3c4d5e",
        title: "curl-8.9.1-3.fc41",
        type: "security",
        severity: "moderate",
        cves: ["CVE-2024-11053", "CVE-2025-0167"],
      },
      {
        advisoryId: "FEDORA-2025-9f8e7d6c5b",
        title: "vim-9.1.1122-1.fc41",
        type: "bugfix",
        severity: "unknown",
        cves: [],
      },
    ]);
  });
});

describe("rpm -q and needs-restarting", () => {
  test("rpm -q: exact NEVRAs with epochs, (none) as epoch 0, not-installed names", () => {
    const result = parseRpmQuery({
      exitCode: 1,
      stdout:
        "bash\t(none)\t5.2.26\t3.fc40\tx86_64\nvim-enhanced\t2\t9.1.1122\t1.fc41\tx86_64\n" +
        "kernel\t(none)\t6.8.5\t301.fc40\tx86_64\nkernel\t(none)\t6.8.10\t300.fc40\tx86_64\npackage nothere is not installed\n",
      stderr: "",
    });
    expect(result.notInstalled).toEqual(["nothere"]);
    expect(result.installed[1]).toEqual({
      name: "vim-enhanced",
      arch: "x86_64",
      epoch: 2,
      version: "9.1.1122",
      release: "1.fc41",
    });
    expect(isExactlyInstalled(result, "vim-enhanced", "x86_64", "2:9.1.1122-1.fc41")).toBe(true);
    expect(isExactlyInstalled(result, "vim-enhanced", "x86_64", "9.1.1122-1.fc41")).toBe(false);
    expect(isExactlyInstalled(result, "bash", "x86_64", "0:5.2.26-3.fc40")).toBe(true);
  });

  test("rpm -q: an exit code that does not match the missing names, or odd lines, are errors", () => {
    expect(
      (
        caught(() =>
          parseRpmQuery({ exitCode: 1, stdout: "", stderr: "error: cannot open Packages database" }),
        ) as AgentError
      ).kind,
    ).toBe("failed");
    expect((caught(() => parseRpmQuery(ok("bash 5.2\n"))) as AgentError).kind).toBe("unrecognized");
  });

  test("needs-restarting -r: 1 with the message means reboot, 0 means none, anything else is an error", () => {
    expect(
      parseNeedsRestarting({
        exitCode: 1,
        stdout:
          "Core libraries or services have been updated since boot-up:\n  * kernel\n\nReboot is required to fully utilize these updates.\nMore information: https://access.redhat.com/solutions/27943\n",
        stderr: "",
      }),
    ).toBe(true);
    expect(
      parseNeedsRestarting(
        ok(
          "No core libraries or services have been updated since boot-up.\nReboot should not be necessary.\n",
        ),
      ),
    ).toBe(false);
    const missing = caught(() =>
      parseNeedsRestarting({
        exitCode: 1,
        stdout: "",
        stderr: "No such command: needs-restarting. Please use /usr/bin/dnf --help",
      }),
    ) as AgentError;
    expect(missing.kind).toBe("missing");
    expect(
      (caught(() => parseNeedsRestarting({ exitCode: 2, stdout: "", stderr: "" })) as AgentError).kind,
    ).toBe("failed");
  });
});

describe("names, versions and argv", () => {
  test("package names: rpm's characters only, never an option or a glob", () => {
    for (const name of ["bash", "NetworkManager-libnm", "gcc-c++", "python3.12", "perl-Net_SSLeay"]) {
      expect(isRpmPackageName(name)).toBe(true);
    }
    for (const name of [
      "",
      "-y",
      "--installroot=/",
      "foo*",
      "foo bar",
      "foo;rm",
      "a/b",
      "pkg\n",
      "x".repeat(300),
    ]) {
      expect(isRpmPackageName(name)).toBe(false);
    }
    expect((caught(() => assertRpmPackageName("--help")) as AgentError).kind).toBe("invalid_input");
  });

  test("argv builders put names after -- and never use a shell", () => {
    expect(
      checkUpdateArgv({ installRoot: "/r", configFile: "/c.conf", releaseVersion: "1", reposDir: "/d" }),
    ).toEqual([
      "dnf",
      "-c",
      "/c.conf",
      "--installroot=/r",
      "--releasever=1",
      "--setopt=reposdir=/d",
      "--setopt=skip_if_unavailable=False",
      "check-update",
    ]);
    expect(upgradeArgv(["gcc-c++"]).slice(-4)).toEqual(["upgrade", "-y", "--", "gcc-c++"]);
    expect(rpmQueryArgv(["bash"], { root: "/r" })).toEqual([
      "rpm",
      "--root=/r",
      "-q",
      "--qf",
      "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n",
      "--",
      "bash",
    ]);
    expect(() => upgradeArgv(["bash", "-x"])).toThrow(AgentError);
  });

  test("rpm version comparison", () => {
    const cases: [string, string, number][] = [
      ["1.0", "1.0", 0],
      ["1.0", "1.1", -1],
      ["1.10", "1.9", 1],
      ["1.0~rc1", "1.0", -1],
      ["1.0^git1", "1.0", 1],
      ["1.0a", "1.0", 1],
      ["2024a", "2023c", 1],
      ["5.14.0-427", "5.14.0-70", 1],
      ["1.001", "1.1", 0],
      ["1.0.a", "1.0.1", -1],
    ];
    for (const [left, right, expected] of cases) {
      expect([left, right, compareRpmVersion(left, right)]).toEqual([left, right, expected]);
    }
    const low = parseEvr("9.9-1");
    const high = parseEvr("1:1.0-1");
    if (low === null || high === null) throw new Error("unparsed");
    expect(compareEvr(low, high)).toBe(-1);
    expect(parseNevra("kernel-core-5.14.0-427.18.1.el9_4.x86_64")).toEqual({
      name: "kernel-core",
      arch: "x86_64",
      epoch: 0,
      version: "5.14.0",
      release: "427.18.1.el9_4",
    });
  });
});

describe("dnf scan items", () => {
  test("security flag, highest severity and CVEs come from the matching security advisories", () => {
    const items = dnfScanItems({
      checkUpdate: parseCheckUpdate(ok(fixture("check-update-dnf4-wrapped.txt"), 100)),
      advisories: parseUpdateinfoList(ok(fixture("updateinfo-list-dnf4.txt"))),
      advisoryDetails: parseUpdateinfoInfo(ok(fixture("updateinfo-info-dnf4.txt"))),
      installed: parseRpmQuery(
        ok(
          "NetworkManager\t1\t1.44.0\t3.el9\tx86_64\nkernel\t(none)\t5.14.0\t362.8.1.el9_3\tx86_64\n" +
            "kernel\t(none)\t5.14.0\t70.13.1.el9_0\tx86_64\ntzdata\t(none)\t2023c\t1.el9\tnoarch\n",
        ),
      ),
    });
    const byName = new Map(items.map((item) => [item.packageName, item]));
    expect(byName.get("NetworkManager")).toMatchObject({
      target: "x86_64",
      currentVersion: "1:1.44.0-3.el9",
      availableVersion: "1:1.46.0-2.el9_4",
      security: true,
      severity: "important",
      cves: ["CVE-2024-3651", "CVE-2024-3652"],
      source: "baseos",
    });
    expect(byName.get("kernel")).toMatchObject({
      currentVersion: "5.14.0-362.8.1.el9_3",
      severity: "critical",
      cves: ["CVE-2024-1086", "CVE-2024-26583", "CVE-2024-26584"],
    });
    expect(byName.get("tzdata")).toMatchObject({ security: false, severity: "unknown", cves: [] });
    expect(byName.get("tzdata")?.metadata).toEqual({
      advisories: [{ id: "RHBA-2024:2101", type: "bugfix", severity: "unknown" }],
    });
    expect(byName.get("NetworkManager-libnm")?.currentVersion).toBeNull();
    expect(byName.get("grub2-tools")?.metadata.obsoletes).toEqual(["grub2-tools.x86_64 1:2.06-70.el9"]);
  });
});

describe("dnf's package cache", () => {
  test("cachedir from [main] only, the last one winning; the file name a repository gives a build", () => {
    const conf =
      "[main]\ngpgcheck=0\ncachedir = /srv/first\n# cachedir=/commented\ncachedir=/srv/dnf/$releasever\n[updates]\ncachedir=/not/main\n";
    expect(mainOption(conf, "cachedir")).toBe("/srv/dnf/$releasever");
    expect(mainOption("[updates]\ncachedir=/x\n", "cachedir")).toBeNull();
    expect(rpmFileName("openssl-libs", "1:3.0.7-27.el9", "x86_64")).toBe(
      "openssl-libs-3.0.7-27.el9.x86_64.rpm",
    );
    expect(rpmFileName("bad", "not a version", "noarch")).toBeNull();
  });

  test("the config given with -c, else the install root's own dnf.conf, under the install root", () => {
    const root = mkdtempSync(join(tmpdir(), "redflag-dnf-cache-"));
    try {
      const conf = join(root, "given.conf");
      writeFileSync(conf, "[main]\ncachedir=/var/cache/custom/$releasever\n");
      expect(dnfCacheDirectories({ configFile: conf, installRoot: root, releaseVersion: "9" })).toEqual([
        join(root, "var/cache/custom/9"),
      ]);
      mkdirSync(join(root, "etc/dnf"), { recursive: true });
      writeFileSync(join(root, "etc/dnf/dnf.conf"), "[main]\ncachedir=/var/cache/inside\n");
      expect(dnfCacheDirectories({ installRoot: root })).toEqual([join(root, "var/cache/inside")]);
      writeFileSync(join(root, "etc/dnf/dnf.conf"), "[main]\ngpgcheck=1\n");
      // None configured: dnf4's and dnf5's defaults.
      expect(dnfCacheDirectories({ installRoot: root })).toEqual([
        join(root, "var/cache/dnf"),
        join(root, "var/cache/libdnf5"),
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
