import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentError } from "../../../src/errors.ts";
import { type RunResult, runProgram } from "../../../src/host/run.ts";
import {
  checkUpdateArgv,
  type DnfOptions,
  dnfEnvironment,
  dnfScanItems,
  isExactlyInstalled,
  needsRestartingArgv,
  needsRestartingReasons,
  parseCheckUpdate,
  parseNeedsRestarting,
  parseRpmQuery,
  parseUpdateinfoInfo,
  parseUpdateinfoList,
  rpmQueryArgv,
  updateinfoInfoArgv,
  updateinfoListArgv,
  upgradeArgv,
} from "../../../src/package-managers/dnf/index.ts";
import { rpmSpec } from "./dnf-sandbox.ts";

// Builds packages and repositories with the real tools: more than a hook's default 5 s on a busy machine.
const setUpTimeout = 180_000;

// Real dnf4 on Debian (apt packages dnf, dnf-plugins-core, createrepo-c, rpm), against a local
// repository this test builds, in an isolated install root: the machine's own rpm database is never used.

const environment = dnfEnvironment({ PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" });
let directory = "";
let dnf: DnfOptions = {};

async function run(argv: string[]): Promise<RunResult> {
  return runProgram(argv, { source: "dnf", env: environment, timeoutMs: 60_000 });
}

async function mustRun(argv: string[]): Promise<RunResult> {
  const result = await run(argv);
  if (result.exitCode !== 0) {
    throw new Error(`${argv.join(" ")} exited with ${result.exitCode}: ${result.stderr}${result.stdout}`);
  }
  return result;
}

async function buildRpm(name: string, version: string, epoch?: number): Promise<string> {
  const specFile = join(directory, "specs", `${name}-${version}.spec`);
  writeFileSync(specFile, rpmSpec({ name, version, ...(epoch === undefined ? {} : { epoch }) }));
  await mustRun([
    "rpmbuild",
    "-bb",
    "--define",
    `_topdir ${join(directory, "rpmbuild")}`,
    "--define",
    `_rpmdir ${join(directory, "rpms")}`,
    specFile,
  ]);
  return join(directory, "rpms", "noarch", `${name}-${version}-1.noarch.rpm`);
}

const longName = "redflag-demo-with-a-rather-long-package-name-that-dnf-may-wrap";

const updateinfo = `<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="security@redflag.test" status="stable" type="security" version="1.0">
    <id>RFSA-2026:0001</id>
    <title>redflag-demo security update</title>
    <severity>Important</severity>
    <issued date="2026-01-02 00:00:00"/>
    <references>
      <reference href="https://www.cve.org/CVERecord?id=CVE-2026-12345" id="CVE-2026-12345" type="cve" title="CVE-2026-12345"/>
    </references>
    <description>Fixes a flaw in redflag-demo.</description>
    <pkglist><collection short="rf"><name>rf</name>
      <package name="redflag-demo" version="1.1" release="1" epoch="0" arch="noarch"><filename>redflag-demo-1.1-1.noarch.rpm</filename></package>
    </collection></pkglist>
  </update>
  <update from="bugs@redflag.test" status="stable" type="bugfix" version="1.0">
    <id>RFBA-2026:0002</id>
    <title>long name bug fix</title>
    <issued date="2026-01-03 00:00:00"/>
    <description>Fixes a bug.</description>
    <pkglist><collection short="rf"><name>rf</name>
      <package name="${longName}" version="2.1" release="1" epoch="3" arch="noarch"><filename>${longName}-2.1-1.noarch.rpm</filename></package>
    </collection></pkglist>
  </update>
</updates>
`;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "redflag-dnf-"));
  for (const folder of ["specs", "repo", "repos.d", "root", "cache"]) mkdirSync(join(directory, folder));
  const oldDemo = await buildRpm("redflag-demo", "1.0");
  const newDemo = await buildRpm("redflag-demo", "1.1");
  const oldLong = await buildRpm(longName, "2.0", 3);
  const newLong = await buildRpm(longName, "2.1", 3);
  const rebootTrigger = await buildRpm("dbus", "1.0");
  const repo = join(directory, "repo");
  await mustRun(["cp", newDemo, newLong, repo]);
  await mustRun(["createrepo_c", "--quiet", repo]);
  writeFileSync(join(directory, "updateinfo.xml"), updateinfo);
  await mustRun([
    "modifyrepo_c",
    "--mdtype=updateinfo",
    join(directory, "updateinfo.xml"),
    join(repo, "repodata"),
  ]);
  writeFileSync(
    join(directory, "dnf.conf"),
    `[main]\ngpgcheck=0\ncachedir=${join(directory, "cache")}\nlogdir=${join(directory, "log")}\npersistdir=${join(directory, "persist")}\ninstall_weak_deps=0\n`,
  );
  writeFileSync(
    join(directory, "repos.d", "redflag.repo"),
    `[redflag-test]\nname=RedFlag test repository\nbaseurl=file://${repo}\ngpgcheck=0\nenabled=1\n`,
  );
  const root = join(directory, "root");
  await mustRun(["rpm", `--root=${root}`, "--initdb"]);
  await mustRun(["rpm", `--root=${root}`, "-i", "--nodeps", oldDemo, oldLong]);
  dnf = {
    configFile: join(directory, "dnf.conf"),
    installRoot: root,
    releaseVersion: "1",
    reposDir: join(directory, "repos.d"),
    // Debian's dnf-plugins-core enables a "local" plugin that wants a repository of its own.
    disablePlugins: ["local"],
  };
  // Kept for the reboot test: installing "dbus" after boot is what needs-restarting looks for.
  writeFileSync(join(directory, "reboot-trigger"), rebootTrigger);
}, setUpTimeout);

afterAll(() => {
  if (directory !== "") rmSync(directory, { recursive: true, force: true });
});

describe("real dnf in an isolated install root", () => {
  test("check-update, updateinfo and rpm -q give the right scan items", async () => {
    const checkUpdate = parseCheckUpdate(await run(checkUpdateArgv(dnf)));
    expect(checkUpdate.updates.map((update) => `${update.name} ${update.evr}`).sort()).toEqual([
      "redflag-demo 1.1-1",
      `${longName} 3:2.1-1`,
    ]);

    const securityOnly = parseUpdateinfoList(await run(updateinfoListArgv(dnf, { securityOnly: true })));
    expect(
      securityOnly.map((advisory) => `${advisory.advisoryId} ${advisory.type} ${advisory.severity}`),
    ).toEqual(["RFSA-2026:0001 security important"]);
    const advisories = parseUpdateinfoList(await run(updateinfoListArgv(dnf)));
    expect(advisories.map((advisory) => advisory.advisoryId).sort()).toEqual([
      "RFBA-2026:0002",
      "RFSA-2026:0001",
    ]);
    const details = parseUpdateinfoInfo(await run(updateinfoInfoArgv(dnf)));
    expect(details.find((detail) => detail.advisoryId === "RFSA-2026:0001")).toEqual({
      advisoryId: "RFSA-2026:0001",
      title: "redflag-demo security update",
      type: "security",
      severity: "important",
      cves: ["CVE-2026-12345"],
    });

    const names = checkUpdate.updates.map((update) => update.name);
    const installed = parseRpmQuery(await run(rpmQueryArgv(names, { root: dnf.installRoot })));
    const items = dnfScanItems({ checkUpdate, advisories, advisoryDetails: details, installed });
    const byName = new Map(items.map((item) => [item.packageName, item]));
    expect(byName.get("redflag-demo")).toEqual({
      packageName: "redflag-demo",
      target: "noarch",
      currentVersion: "1.0-1",
      availableVersion: "1.1-1",
      severity: "important",
      security: true,
      cves: ["CVE-2026-12345"],
      source: "redflag-test",
      sizeBytes: null,
      metadata: { advisories: [{ id: "RFSA-2026:0001", type: "security", severity: "important" }] },
    });
    expect(byName.get(longName)).toMatchObject({
      currentVersion: "3:2.0-1",
      availableVersion: "3:2.1-1",
      security: false,
      severity: "unknown",
      cves: [],
    });
  });

  test("an upgrade is verified by the exact NEVRA, and check-update then says none", async () => {
    await mustRun(upgradeArgv(["redflag-demo", longName], dnf));
    const installed = parseRpmQuery(
      await run(rpmQueryArgv(["redflag-demo", longName, "not-installed-here"], { root: dnf.installRoot })),
    );
    expect(installed.notInstalled).toEqual(["not-installed-here"]);
    expect(isExactlyInstalled(installed, "redflag-demo", "noarch", "1.1-1")).toBe(true);
    expect(isExactlyInstalled(installed, longName, "noarch", "3:2.1-1")).toBe(true);
    expect(isExactlyInstalled(installed, longName, "noarch", "2.1-1")).toBe(false);

    const after = await run(checkUpdateArgv(dnf));
    expect(after.exitCode).toBe(0);
    expect(parseCheckUpdate(after).updates).toEqual([]);
    expect(parseUpdateinfoList(await run(updateinfoListArgv(dnf, { securityOnly: true })))).toEqual([]);
  });

  test("needs-restarting -r: none, then required once a core package was installed after boot", async () => {
    expect(parseNeedsRestarting(await run(needsRestartingArgv(dnf)))).toBe(false);
    await mustRun([
      "rpm",
      `--root=${dnf.installRoot}`,
      "-i",
      "--nodeps",
      join(directory, "rpms", "noarch", "dbus-1.0-1.noarch.rpm"),
    ]);
    const needed = await run(needsRestartingArgv(dnf));
    expect(parseNeedsRestarting(needed)).toBe(true);
    // The reasons shown on the agent page: the package installed after boot, by name.
    expect(needsRestartingReasons(needed)).toContain("dbus");
  });

  test("a repository that cannot be read is an error, not an empty list", async () => {
    const brokenRepos = join(directory, "broken.repos.d");
    mkdirSync(brokenRepos);
    writeFileSync(
      join(brokenRepos, "missing.repo"),
      `[missing]\nname=Missing\nbaseurl=file://${join(directory, "no-such-repo")}\ngpgcheck=0\nenabled=1\n`,
    );
    const result = await run(checkUpdateArgv({ ...dnf, reposDir: brokenRepos }));
    expect(result.exitCode).toBe(1);
    let error: unknown;
    try {
      parseCheckUpdate(result);
    } catch (caughtError) {
      error = caughtError;
    }
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).message).toContain("missing");
  });
});
