import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Runs a program (argv, no shell) and fails with its output when it fails. */
export function run(argv: string[], options: { cwd?: string; env?: Record<string, string> } = {}): string {
  const result = Bun.spawnSync(argv, {
    cwd: options.cwd,
    env: { ...process.env, LANG: "C", LC_ALL: "C", ...options.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (result.exitCode !== 0) {
    throw new Error(`${argv.join(" ")} failed (${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout.toString();
}

export type TestPackage = {
  name: string;
  version: string;
  /** A postinst script body (sh). */
  postinst?: string;
  depends?: string;
};

export type Repository = { name: string; suite: string; label: string; origin: string };

/**
 * An isolated apt + dpkg world in a temporary directory, as TESTING.md describes: flat local
 * repositories the test fills, a fake root with its own dpkg database, and an APT_CONFIG file
 * that points apt at them only. Nothing of the machine's own apt state is read or written.
 */
export class AptSandbox {
  readonly directory = mkdtempSync(join(tmpdir(), "redflag-apt-"));
  readonly fakeRoot = join(this.directory, "root");
  readonly configFile = join(this.directory, "apt.conf");
  readonly packagesDirectory = join(this.directory, "debs");
  private readonly repositories = new Map<string, Repository>();

  constructor(repositories: Repository[]) {
    for (const path of [
      "var/lib/dpkg/info",
      "var/lib/dpkg/updates",
      "var/lib/dpkg/triggers",
      "var/lib/apt",
      "run",
    ]) {
      mkdirSync(join(this.fakeRoot, path), { recursive: true });
    }
    writeFileSync(join(this.fakeRoot, "var/lib/dpkg/status"), "");
    writeFileSync(join(this.fakeRoot, "var/lib/dpkg/available"), "");
    for (const path of [
      "etc/apt.conf.d",
      "etc/preferences.d",
      "lists/partial",
      "cache/archives/partial",
      "log",
    ]) {
      mkdirSync(join(this.directory, path), { recursive: true });
    }
    mkdirSync(this.packagesDirectory, { recursive: true });
    const sources: string[] = [];
    for (const repository of repositories) {
      this.repositories.set(repository.name, repository);
      const path = this.repositoryPath(repository.name);
      mkdirSync(path, { recursive: true });
      sources.push(`deb [trusted=yes] file:${path} ./`);
    }
    writeFileSync(join(this.directory, "etc/sources.list"), `${sources.join("\n")}\n`);
    const d = this.directory;
    writeFileSync(
      this.configFile,
      `Dir::Etc::Parts "${d}/etc/apt.conf.d";
Dir::Etc::main "/dev/null";
Dir::Etc::sourcelist "${d}/etc/sources.list";
Dir::Etc::sourceparts "-";
Dir::Etc::preferences "/dev/null";
Dir::Etc::preferencesparts "${d}/etc/preferences.d";
Dir::State::Lists "${d}/lists";
Dir::State::status "${this.fakeRoot}/var/lib/dpkg/status";
Dir::State::extended_states "${this.fakeRoot}/var/lib/apt/extended_states";
Dir::Cache "${d}/cache";
Dir::Log "${d}/log";
APT::Sandbox::User "root";
DPkg::Options { "--root=${this.fakeRoot}"; "--force-script-chrootless"; };
Dpkg::Use-Pty "0";
`,
    );
    for (const repository of repositories) this.publish(repository.name);
  }

  repositoryPath(name: string) {
    return join(this.directory, "repos", name);
  }

  /** Builds a package (Architecture: all) into a repository; publish() makes apt see it. */
  addPackage(repository: string, pkg: TestPackage): string {
    return this.buildPackage(pkg, this.repositoryPath(repository));
  }

  /** Builds a package file into a directory; returns its path. */
  buildPackage(pkg: TestPackage, outputDirectory: string): string {
    const build = join(this.directory, "build", `${pkg.name}_${pkg.version}`);
    mkdirSync(join(build, "DEBIAN"), { recursive: true });
    mkdirSync(join(build, "usr/share/doc", pkg.name), { recursive: true });
    writeFileSync(join(build, "usr/share/doc", pkg.name, "version"), `${pkg.version}\n`);
    writeFileSync(
      join(build, "DEBIAN/control"),
      `Package: ${pkg.name}\nVersion: ${pkg.version}\nArchitecture: all\nMaintainer: RedFlag tests <tests@redflag.invalid>\n${pkg.depends ? `Depends: ${pkg.depends}\n` : ""}Description: RedFlag test package\n`,
    );
    if (pkg.postinst) {
      writeFileSync(join(build, "DEBIAN/postinst"), `#!/bin/sh\nset -e\n${pkg.postinst}\n`);
      chmodSync(join(build, "DEBIAN/postinst"), 0o755);
    }
    const file = join(outputDirectory, `${pkg.name}_${pkg.version.replace(":", "%3a")}_all.deb`);
    run(["dpkg-deb", "--root-owner-group", "--build", build, file]);
    return file;
  }

  /** Writes Packages and Release for a repository (its suite, label and origin). */
  publish(name: string) {
    const repository = this.repositories.get(name);
    if (!repository) throw new Error(`no repository ${name}`);
    const path = this.repositoryPath(name);
    writeFileSync(
      join(path, "Packages"),
      run(["dpkg-scanpackages", "--multiversion", ".", "/dev/null"], { cwd: path }),
    );
    const release = run(
      [
        "apt-ftparchive",
        "-o",
        `APT::FTPArchive::Release::Suite=${repository.suite}`,
        "-o",
        `APT::FTPArchive::Release::Label=${repository.label}`,
        "-o",
        `APT::FTPArchive::Release::Origin=${repository.origin}`,
        "release",
        ".",
      ],
      { cwd: path },
    );
    writeFileSync(join(path, "Release.tmp"), release);
    renameSync(join(path, "Release.tmp"), join(path, "Release"));
  }

  /** Installs a package file straight into the fake root (the "before" state of a test). */
  seed(debFile: string) {
    run(["dpkg", `--root=${this.fakeRoot}`, "--force-script-chrootless", "-i", debFile]);
  }

  /** The version the fake root's dpkg database holds, or null. */
  installedVersion(name: string): string | null {
    const result = Bun.spawnSync(
      [
        "dpkg-query",
        `--admindir=${join(this.fakeRoot, "var/lib/dpkg")}`,
        "-W",
        "-f",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's format, not a template
        "${Status}|${Version}",
        name,
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    if (result.exitCode !== 0) return null;
    const [status, version] = result.stdout.toString().split("|");
    return status?.endsWith(" installed") ? (version ?? null) : null;
  }

  /** Runs apt against the sandbox (as the agent would, with APT_CONFIG). */
  apt(argv: string[]): string {
    return run(argv, { env: { APT_CONFIG: this.configFile } });
  }

  remove() {
    rmSync(this.directory, { recursive: true, force: true });
  }
}
