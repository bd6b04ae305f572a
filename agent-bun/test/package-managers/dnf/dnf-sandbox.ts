import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Runs a program (argv, no shell) and fails with its output when it fails. */
function run(argv: string[]): string {
  const result = Bun.spawnSync(argv, {
    env: { ...process.env, LC_ALL: "C.UTF-8", LANG: "C.UTF-8" },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (result.exitCode !== 0) {
    throw new Error(`${argv.join(" ")} failed (${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout.toString();
}

export type TestRpm = { name: string; version: string; release?: string; epoch?: number };

export type TestAdvisory = {
  id: string;
  type: "security" | "bugfix" | "enhancement";
  severity?: "Critical" | "Important" | "Moderate" | "Low";
  title: string;
  cves?: string[];
  packages: TestRpm[];
};

/**
 * Real dnf in an isolated world, as TESTING.md describes: rpms built here with rpmbuild, a local
 * repository (createrepo_c) with advisories in updateinfo.xml (modifyrepo_c), and an install root
 * with its own rpm database. The machine's own rpm database and repositories are never read.
 */
/** The spec of a noarch test rpm with no files. */
export function rpmSpec(rpm: TestRpm): string {
  return [
    `Name: ${rpm.name}`,
    `Version: ${rpm.version}`,
    `Release: ${rpm.release ?? "1"}`,
    ...(rpm.epoch === undefined ? [] : [`Epoch: ${rpm.epoch}`]),
    "Summary: RedFlag test package",
    "License: MIT",
    "BuildArch: noarch",
    "%description",
    "A package built by the RedFlag DNF tests.",
    "%files",
    "",
  ].join("\n");
}

export class DnfSandbox {
  readonly directory = mkdtempSync(join(tmpdir(), "redflag-dnf-"));
  readonly installRoot = join(this.directory, "root");
  readonly repository = join(this.directory, "repo");
  readonly configFile = join(this.directory, "dnf.conf");
  readonly reposDir = join(this.directory, "repos.d");
  private readonly rpms = join(this.directory, "rpms");
  private advisories: TestAdvisory[] = [];

  constructor() {
    for (const folder of ["specs", "repo", "repos.d", "root", "cache", "rpms"]) {
      mkdirSync(join(this.directory, folder), { recursive: true });
    }
    // metadata_expire=0: each run sees the repository as the test last left it.
    writeFileSync(
      this.configFile,
      `[main]\ngpgcheck=0\ncachedir=${join(this.directory, "cache")}\nlogdir=${join(this.directory, "log")}\npersistdir=${join(this.directory, "persist")}\ninstall_weak_deps=0\nmetadata_expire=0\n`,
    );
    writeFileSync(
      join(this.reposDir, "redflag.repo"),
      `[redflag-test]\nname=RedFlag test repository\nbaseurl=file://${this.repository}\ngpgcheck=0\nenabled=1\nmetadata_expire=0\n`,
    );
    run(["rpm", `--root=${this.installRoot}`, "--initdb"]);
  }

  /** The agent's `dnf` config section for this sandbox. */
  get agentConfig() {
    return {
      enabled: true,
      configFile: this.configFile,
      installRoot: this.installRoot,
      releaseVersion: "1",
      reposDir: this.reposDir,
      // Debian's dnf-plugins-core enables a "local" plugin that wants a repository of its own.
      disablePlugins: ["local"],
    };
  }

  /**
   * Turns dnf's versionlock plugin (dnf-plugins-core) on with a lock list of this sandbox's own, so
   * neither the host's plugin config nor its lock list is read. Returns the lock list's path.
   */
  enableVersionlock(): string {
    const plugins = join(this.directory, "plugins");
    const lockList = join(plugins, "versionlock.list");
    mkdirSync(plugins, { recursive: true });
    writeFileSync(join(plugins, "versionlock.conf"), `[main]\nenabled = 1\nlocklist = ${lockList}\n`);
    writeFileSync(lockList, "");
    appendFileSync(this.configFile, `pluginconfpath=${plugins}\n`);
    return lockList;
  }

  /** Runs dnf on this sandbox (as the agent would, from agentConfig); fails with its output. */
  dnf(...argv: string[]): string {
    const config = this.agentConfig;
    return run([
      "dnf",
      "-c",
      config.configFile,
      `--installroot=${config.installRoot}`,
      `--releasever=${config.releaseVersion}`,
      `--setopt=reposdir=${config.reposDir}`,
      ...config.disablePlugins.map((plugin) => `--disableplugin=${plugin}`),
      ...argv,
    ]);
  }

  /** Builds a noarch rpm; returns its path. */
  build(rpm: TestRpm): string {
    const release = rpm.release ?? "1";
    const specFile = join(this.directory, "specs", `${rpm.name}-${rpm.version}-${release}.spec`);
    writeFileSync(specFile, rpmSpec({ ...rpm, release }));
    run([
      "rpmbuild",
      "-bb",
      "--quiet",
      "--define",
      `_topdir ${join(this.directory, "rpmbuild")}`,
      "--define",
      `_rpmdir ${this.rpms}`,
      specFile,
    ]);
    return join(this.rpms, "noarch", `${rpm.name}-${rpm.version}-${release}.noarch.rpm`);
  }

  /** Builds an rpm into the repository (publish() makes dnf see it). */
  add(rpm: TestRpm): string {
    const file = this.build(rpm);
    copyFileSync(file, join(this.repository, file.split("/").pop() ?? ""));
    return file;
  }

  addAdvisory(advisory: TestAdvisory) {
    this.advisories.push(advisory);
  }

  /** Writes the repository metadata and its updateinfo.xml. */
  publish() {
    run(["createrepo_c", "--quiet", "--update", this.repository]);
    if (this.advisories.length === 0) return;
    const updateinfo = join(this.directory, "updateinfo.xml");
    writeFileSync(updateinfo, updateinfoXml(this.advisories));
    run(["modifyrepo_c", "--mdtype=updateinfo", updateinfo, join(this.repository, "repodata")]);
  }

  /** Installs rpm files straight into the root (the "before" state of a test). */
  seed(...files: string[]) {
    run(["rpm", `--root=${this.installRoot}`, "-i", "--nodeps", ...files]);
  }

  /** `rpm -q` in the root: `name-[epoch:]version-release`, or null when not installed. */
  installed(name: string): string | null {
    const result = Bun.spawnSync(
      ["rpm", `--root=${this.installRoot}`, "-q", "--qf", "%{EPOCHNUM}:%{VERSION}-%{RELEASE}", name],
      { stdout: "pipe", stderr: "pipe" },
    );
    if (result.exitCode !== 0) return null;
    return result.stdout.toString().replace(/^0:/, "");
  }

  remove() {
    rmSync(this.directory, { recursive: true, force: true });
  }
}

function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function updateinfoXml(advisories: TestAdvisory[]): string {
  const updates = advisories.map(
    (
      advisory,
    ) => `  <update from="security@redflag.test" status="stable" type="${advisory.type}" version="1.0">
    <id>${escapeXml(advisory.id)}</id>
    <title>${escapeXml(advisory.title)}</title>
${advisory.severity === undefined ? "" : `    <severity>${advisory.severity}</severity>\n`}    <issued date="2026-01-02 00:00:00"/>
    <references>
${(advisory.cves ?? []).map((cve) => `      <reference href="https://www.cve.org/CVERecord?id=${cve}" id="${cve}" type="cve" title="${cve}"/>`).join("\n")}
    </references>
    <description>${escapeXml(advisory.title)}</description>
    <pkglist><collection short="rf"><name>rf</name>
${advisory.packages
  .map(
    (rpm) =>
      `      <package name="${rpm.name}" version="${rpm.version}" release="${rpm.release ?? "1"}" epoch="${rpm.epoch ?? 0}" arch="noarch"><filename>${rpm.name}-${rpm.version}-${rpm.release ?? "1"}.noarch.rpm</filename></package>`,
  )
  .join("\n")}
    </collection></pkglist>
  </update>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n${updates.join("\n")}\n</updates>\n`;
}
