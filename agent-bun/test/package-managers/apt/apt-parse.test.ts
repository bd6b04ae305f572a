import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isHeld, parseShowHold } from "../../../src/package-managers/apt/holds.ts";
import { parseStatusLine } from "../../../src/package-managers/apt/installer.ts";
import { isPackageName, isPackageVersion } from "../../../src/package-managers/apt/package-name.ts";
import {
  parseOrigins,
  parseSimulation,
  parseUpgradableList,
} from "../../../src/package-managers/apt/parse.ts";
import { parsePolicy } from "../../../src/package-managers/apt/policy.ts";
import {
  type Archive,
  originsOfSuites,
  parseListsDirectory,
  parseReleaseHeader,
  readArchives,
} from "../../../src/package-managers/apt/release-files.ts";
import { aptScanItems } from "../../../src/package-managers/apt/scanner.ts";

const fixtures = join(import.meta.dir, "fixtures");
/** Recorded on a Debian 12 host against the real archive (bookworm is oldstable there). */
const bookwormList = readFileSync(join(fixtures, "apt-list-upgradable.bookworm.txt"), "utf8");
const bookwormSimulation = readFileSync(join(fixtures, "apt-get-s-dist-upgrade.bookworm.txt"), "utf8");
/** Recorded from the isolated apt root the tests build (names with `+` and `.`, epochs, `~`). */
const sandboxList = readFileSync(join(fixtures, "apt-list-upgradable.sandbox.txt"), "utf8");
const sandboxSimulation = readFileSync(join(fixtures, "apt-get-s-dist-upgrade.sandbox.txt"), "utf8");
/** The InRelease headers of the same host's lists directory (deb.debian.org bookworm, -updates, -security). */
const bookwormArchives = readArchives(join(fixtures, "lists.bookworm"));
/** The test repository's two flat archives, as apt-ftparchive writes their Release files. */
const sandboxArchives: Archive[] = [
  { origin: "RedFlag", label: "RedFlag Test", suite: "stable", codename: "", version: "" },
  { origin: "Debian", label: "Debian-Security", suite: "oldstable-security", codename: "", version: "" },
];
const archive = (suite: string, label: string, version = ""): Archive => ({
  origin: "",
  label,
  suite,
  codename: "",
  version,
});

describe("apt list --upgradable", () => {
  test("every line of a real Debian 12 host parses, versions kept exactly", () => {
    const { items, problems } = parseUpgradableList(bookwormList);
    expect(problems).toEqual([]);
    const lines = bookwormList.split("\n").filter((line) => line.includes("[upgradable from:"));
    expect(items.length).toBe(lines.length);
    expect(items.length).toBeGreaterThan(100);
    const byName = new Map(items.map((item) => [item.packageName, item]));
    expect(byName.get("libcap2")).toEqual({
      packageName: "libcap2",
      suites: ["oldstable"],
      availableVersion: "1:2.66-4+deb12u3+b1",
      architecture: "amd64",
      currentVersion: "1:2.66-4+deb12u2+b2",
    });
    expect(byName.get("ca-certificates")?.availableVersion).toBe("20250419~deb12u2");
    expect(byName.get("ca-certificates")?.currentVersion).toBe("20230311+deb12u1");
    expect(byName.get("libnss3-dev")?.availableVersion).toBe("2:3.87.1-1+deb12u4");
    // Several suites on one line.
    expect(byName.get("krb5-locales")?.suites).toEqual(["oldstable", "oldstable-security"]);
  });

  test("names with + and ., epochs and ~ from the test repository", () => {
    const { items, problems } = parseUpgradableList(sandboxList);
    expect(problems).toEqual([]);
    expect(items.map((item) => [item.packageName, item.currentVersion, item.availableVersion])).toEqual([
      ["rf-lib++2.0", "1.0-1", "1:1.1~rc1-1"],
      ["rf-secure.tools", "2.0-1", "2.0-1+deb12u1"],
    ]);
  });

  test("lines that do not fit are problems, never guessed at", () => {
    const { items, problems } = parseUpgradableList(
      "Listing...\nfoo/stable 1.0 amd64 [upgradable from: 0.9]\nBAD;rm -rf/stable 1 all [upgradable from: 0]\ngarbage\n",
    );
    expect(items.map((item) => item.packageName)).toEqual(["foo"]);
    expect(problems.map((problem) => problem.line)).toEqual([
      "BAD;rm -rf/stable 1 all [upgradable from: 0]",
      "garbage",
    ]);
  });
});

describe("apt-get -s simulation", () => {
  test("multi-origin Inst lines of a real host", () => {
    const { actions, problems } = parseSimulation(bookwormSimulation);
    expect(problems).toEqual([]);
    const krb5 = actions.find((action) => action.packageName === "krb5-locales");
    expect(krb5).toEqual({
      action: "upgrade",
      packageName: "krb5-locales",
      currentVersion: "1.20.1-2+deb12u3",
      newVersion: "1.20.1-2+deb12u5",
      origins: [
        { label: "Debian", release: "12.15", suite: "oldstable" },
        { label: "Debian-Security", release: "12", suite: "oldstable-security" },
      ],
      architecture: "all",
    });
    expect(actions.filter((action) => action.action === "upgrade").length).toBe(
      bookwormSimulation.split("\n").filter((line) => line.startsWith("Inst ")).length,
    );
  });

  test("new installs and removals (a dry run's dependencies)", () => {
    const { actions } = parseSimulation(
      [
        "Inst rf-newdep (1.0 RedFlag Test:stable [all])",
        "Inst rf-app [1.0] (1.1 RedFlag Test:stable [all]) []",
        "Remv rf-old [0.9]",
        "Conf rf-app (1.1 RedFlag Test:stable [all])",
      ].join("\n"),
    );
    expect(actions).toEqual([
      {
        action: "install",
        packageName: "rf-newdep",
        currentVersion: null,
        newVersion: "1.0",
        origins: [{ label: "RedFlag Test", release: "", suite: "stable" }],
        architecture: "all",
      },
      {
        action: "upgrade",
        packageName: "rf-app",
        currentVersion: "1.0",
        newVersion: "1.1",
        origins: [{ label: "RedFlag Test", release: "", suite: "stable" }],
        architecture: "all",
      },
      { action: "remove", packageName: "rf-old", currentVersion: "0.9" },
    ]);
  });

  test("origins with and without label and version", () => {
    expect(parseOrigins("Debian:12.15/oldstable, Debian-Security:12/oldstable-security")).toEqual([
      { label: "Debian", release: "12.15", suite: "oldstable" },
      { label: "Debian-Security", release: "12", suite: "oldstable-security" },
    ]);
    expect(parseOrigins("localhost/stable")).toEqual([{ label: "", release: "localhost", suite: "stable" }]);
  });
});

describe("security and severity", () => {
  test("a real host: security exactly where the candidate's suite or archive is a security one", () => {
    const items = aptScanItems(bookwormList, bookwormArchives);
    const expectedSecurity = bookwormList
      .split("\n")
      .filter((line) => /^\S+\/\S*-security[ ,]/.test(line))
      .map((line) => line.split("/")[0] ?? "");
    expect(
      items
        .filter((item) => item.security)
        .map((item) => item.packageName)
        .sort(),
    ).toEqual(expectedSecurity.sort());
    expect(expectedSecurity.length).toBeGreaterThan(10);
    const krb5 = items.find((item) => item.packageName === "krb5-locales");
    expect(krb5).toMatchObject({ security: true, severity: "important" });
    expect(krb5?.source).toBe("Debian:12.15/oldstable, Debian-Security:12/oldstable-security");
    const bash = items.find((item) => item.packageName === "bash");
    expect(bash).toMatchObject({
      security: false,
      severity: "low",
      currentVersion: "5.2.15-2+b8",
      availableVersion: "5.2.15-2+b13",
    });
  });

  test("a real host: the origins from its Release files are those its dist-upgrade simulation printed, package for package", () => {
    const simulated = new Map(
      parseSimulation(bookwormSimulation).actions.flatMap((action) =>
        action.action === "remove"
          ? []
          : [
              [
                action.packageName,
                action.origins
                  .map((origin) => `${origin.label}:${origin.release}/${origin.suite}`)
                  .join(", "),
              ] as const,
            ],
      ),
    );
    const items = aptScanItems(bookwormList, bookwormArchives);
    expect(items.length).toBe(simulated.size);
    for (const item of items)
      expect([item.packageName, item.source]).toEqual([
        item.packageName,
        simulated.get(item.packageName) ?? "missing",
      ]);
  });

  test("security from the Debian-Security label alone, never from the package name", () => {
    const items = aptScanItems(
      "Listing...\nopenssl-security-tools/local 1.1 all [upgradable from: 1.0]\nlibfoo/stable 2.1 all [upgradable from: 2.0]\n",
      [archive("local", "Local"), archive("stable", "Debian-Security", "12")],
    );
    expect(items.map((item) => [item.packageName, item.security, item.source])).toEqual([
      ["openssl-security-tools", false, "Local:local"],
      ["libfoo", true, "Debian-Security:12/stable"],
    ]);
  });

  test("a suite two archives share with different labels keeps its bare name: no label is guessed", () => {
    const archives = [archive("stable", "Local"), archive("stable", "Debian-Security", "12")];
    expect(originsOfSuites(["stable"], archives)).toEqual([{ label: "", release: "", suite: "stable" }]);
    const [item] = aptScanItems("libfoo/stable 2.1 all [upgradable from: 2.0]\n", archives);
    expect(item).toMatchObject({ security: false, severity: "low", source: "stable" });
    // The same archive listed twice (two mirrors of one suite) is still one.
    expect(
      originsOfSuites(["stable"], [archive("stable", "Debian", "12.1"), archive("stable", "Debian", "12.1")]),
    ).toEqual([{ label: "Debian", release: "12.1", suite: "stable" }]);
  });

  test("a suite no Release file names keeps its bare name; a -security suite is security without any", () => {
    const items = aptScanItems(sandboxList, []);
    expect(items.map((item) => [item.packageName, item.security, item.source])).toEqual([
      ["rf-lib++2.0", false, "stable"],
      ["rf-secure.tools", true, "oldstable-security"],
    ]);
  });

  test("the test repository: oldstable-security suite with label Debian-Security, as the simulation printed it", () => {
    const items = aptScanItems(sandboxList, sandboxArchives);
    expect(items.map((item) => [item.packageName, item.security, item.severity, item.source])).toEqual([
      ["rf-lib++2.0", false, "low", "RedFlag Test:stable"],
      ["rf-secure.tools", true, "important", "Debian-Security:oldstable-security"],
    ]);
    expect(sandboxSimulation).toContain("(1:1.1~rc1-1 RedFlag Test:stable [all])");
    expect(sandboxSimulation).toContain("(2.0-1+deb12u1 Debian-Security:oldstable-security [all])");
  });

  test("metadata: architecture and suites; whether dist-upgrade would hold it back is the dry run's to say", () => {
    const [item] = aptScanItems(sandboxList, sandboxArchives);
    expect(item?.metadata).toEqual({ architecture: "all", suites: ["stable"] });
  });
});

describe("Release files", () => {
  test("the clear-signed InRelease of a real archive", () => {
    expect(bookwormArchives.sort((a, b) => a.suite.localeCompare(b.suite))).toEqual([
      { origin: "Debian", label: "Debian", suite: "oldstable", codename: "bookworm", version: "12.15" },
      {
        origin: "Debian",
        label: "Debian-Security",
        suite: "oldstable-security",
        codename: "bookworm-security",
        version: "12",
      },
      {
        origin: "Debian",
        label: "Debian",
        suite: "oldstable-updates",
        codename: "bookworm-updates",
        version: "12-updates",
      },
    ]);
  });

  test("a flat repository's Release; files without a Suite or not Release-shaped are none", () => {
    expect(
      parseReleaseHeader(
        "Date: Tue, 01 Dec 2026 03:55:39 +0000\nLabel: Debian-Security\nOrigin: Debian\nSuite: bookworm-security\nMD5Sum:\n a 1 Packages\n",
      ),
    ).toEqual({
      origin: "Debian",
      label: "Debian-Security",
      suite: "bookworm-security",
      codename: "",
      version: "",
    });
    expect(parseReleaseHeader("Label: x\nOrigin: y\n")).toBeNull();
    expect(parseReleaseHeader("\u0000\u0001binary junk")).toBeNull();
    expect(parseReleaseHeader("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256")).toBeNull();
    expect(readArchives(join(fixtures, "no-such-directory"))).toEqual([]);
  });

  test("the lists directory from apt-config shell, quotes and all", () => {
    expect(parseListsDirectory("LISTS='/var/lib/apt/lists/'\n")).toBe("/var/lib/apt/lists/");
    expect(parseListsDirectory("LISTS='/tmp/it'\\''s/lists/'\n")).toBe("/tmp/it's/lists/");
    expect(parseListsDirectory("")).toBeNull();
    expect(parseListsDirectory("LISTS='relative/lists/'")).toBeNull();
  });
});

describe("validation and other apt outputs", () => {
  test("Debian package names and versions", () => {
    for (const name of ["libstdc++6", "rf-secure.tools", "g++-12", "libc6:i386", "0ad"]) {
      expect(isPackageName(name)).toBe(true);
    }
    for (const name of [
      "-oops",
      "--allow-downgrades",
      "Foo",
      "a",
      "foo;rm",
      "foo bar",
      "foo/bar",
      "foo=1.0",
      "",
    ]) {
      expect(isPackageName(name)).toBe(false);
    }
    for (const version of ["1:2.66-4+deb12u3+b1", "20250419~deb12u2", "1.0", "2:3.87.1-1+deb12u4"]) {
      expect(isPackageVersion(version)).toBe(true);
    }
    for (const version of ["", "abc", "1.0 2", "1.0;reboot", "-1"])
      expect(isPackageVersion(version)).toBe(false);
  });

  test("APT::Status-Fd progress lines", () => {
    expect(parseStatusLine("pmstatus:rf-app:50:Installing rf-app (all)")).toEqual({
      percent: 60,
      message: "Installing rf-app (all)",
    });
    expect(parseStatusLine("dlstatus:1:50:Retrieving file 1 of 2")).toEqual({
      percent: 10,
      message: "Retrieving file 1 of 2",
    });
    expect(parseStatusLine("pmconffile:/etc/x:/etc/x.dpkg-new:1")).toBeNull();
  });

  test("apt-cache policy", () => {
    const [policy] = parsePolicy(
      [
        "rf-lib++2.0:",
        "  Installed: 1.0-1",
        "  Candidate: 1:1.1~rc1-1",
        "  Version table:",
        "     1:1.1~rc1-1 500",
        "        500 file:/tmp/repos/main ./ Packages",
        " *** 1.0-1 100",
        "        100 /tmp/root/var/lib/dpkg/status",
        "",
      ].join("\n"),
    );
    expect(policy).toEqual({
      packageName: "rf-lib++2.0",
      installed: "1.0-1",
      candidate: "1:1.1~rc1-1",
      versions: [
        { version: "1:1.1~rc1-1", sources: ["file:/tmp/repos/main ./ Packages"] },
        { version: "1.0-1", sources: ["/tmp/root/var/lib/dpkg/status"] },
      ],
    });
  });
});

describe("apt-mark showhold", () => {
  test("one name a line, foreign architectures as name:arch; anything else is unrecognized", () => {
    const held = parseShowHold("rf-held\nlibc6:i386\n\n");
    expect([...held]).toEqual(["rf-held", "libc6:i386"]);
    expect(isHeld(held, "rf-held", "all")).toBe(true);
    expect(isHeld(held, "libc6", "i386")).toBe(true);
    expect(isHeld(held, "libc6", "amd64")).toBe(false);
    expect(() => parseShowHold("E: Could not open file\n")).toThrow(
      expect.objectContaining({ kind: "unrecognized", operation: "apt-mark showhold" }),
    );
  });
});
