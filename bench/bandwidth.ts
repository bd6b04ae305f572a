/**
 * What a download profile's limit does to a download: the agent's apt pre-download (`apt-get install
 * -d`, as a maintenance window's pre-download runs it) of one large test package from a repository
 * served over HTTP on this machine, with no limit and with `Acquire::http::Dl-Limit` from a profile,
 * each on a fresh isolated apt root. Then the same through a real apt-cacher-ng (the profile's apt
 * proxy): the first host fills the cache, the second is served from it. Run with `bun run
 * bench:bandwidth`. BENCH_PACKAGE_MIB (default 16) sizes the package, BENCH_LIMIT_KIB (default 4096)
 * the limit. A figure, not a test: nothing here fails on time.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CommandTarget, DownloadSettings } from "@redflag/contracts";
import { configFileSchema } from "../agent-bun/src/config/config.ts";
import { createAptInstaller } from "../agent-bun/src/package-managers/apt/installer.ts";
import { AptCacherNg, serveDirectory } from "../agent-bun/test/package-managers/apt/apt-cacher-ng.ts";
import { AptSandbox, run } from "../agent-bun/test/package-managers/apt/apt-sandbox.ts";

const packageMib = Number(process.env.BENCH_PACKAGE_MIB ?? 16);
const limitKib = Number(process.env.BENCH_LIMIT_KIB ?? 4096);
const repositories = [{ name: "main", suite: "stable", label: "RedFlag Bench", origin: "RedFlag" }];
const sandboxes: AptSandbox[] = [];

function newSandbox(): AptSandbox {
  const sandbox = new AptSandbox(repositories);
  sandboxes.push(sandbox);
  return sandbox;
}

/** A package of incompressible data, stored uncompressed: its .deb is about `packageMib` MiB. */
function buildLargePackage(sandbox: AptSandbox, version: string): string {
  const build = join(sandbox.directory, "build", `rf-large_${version}`);
  mkdirSync(join(build, "DEBIAN"), { recursive: true });
  mkdirSync(join(build, "usr/share/rf-large"), { recursive: true });
  writeFileSync(join(build, "usr/share/rf-large/payload"), randomBytes(packageMib * 1024 * 1024));
  writeFileSync(
    join(build, "DEBIAN/control"),
    `Package: rf-large\nVersion: ${version}\nArchitecture: all\nMaintainer: RedFlag bench <bench@redflag.invalid>\nDescription: RedFlag bench package\n`,
  );
  const file = join(sandbox.repositoryPath("main"), `rf-large_${version}_all.deb`);
  run(["dpkg-deb", "-Znone", "--root-owner-group", "--build", build, file]);
  return file;
}

async function aptUpdate(sandbox: AptSandbox): Promise<void> {
  const child = Bun.spawn(["apt-get", "update", "-q", "-o", "APT::Update::Error-Mode=any"], {
    env: { ...process.env, LANG: "C", LC_ALL: "C", APT_CONFIG: sandbox.configFile },
    stdout: "ignore",
    stderr: "pipe",
  });
  const [errors, code] = await Promise.all([new Response(child.stderr).text(), child.exited]);
  if (code !== 0) throw new Error(`apt-get update failed: ${errors}`);
}

const target: CommandTarget = {
  updateId: "upd_00000000000000000000bench",
  packageType: "apt",
  packageName: "rf-large",
  target: "",
  currentVersion: "1.0",
  availableVersion: "1.1",
};

function profile(overrides: Partial<DownloadSettings>): DownloadSettings {
  return {
    profileId: "dlp_0000000000000000000000bench",
    profileName: "bench",
    limitKibPerSecond: null,
    aptProxy: null,
    dnfProxy: null,
    dockerRegistryMirror: null,
    ...overrides,
  };
}

/** One pre-download on a fresh host (1.0 installed, 1.1 offered by `repositoryUrl`); seconds taken. */
async function timedDownload(
  seed: string,
  repositoryUrl: string,
  settings: DownloadSettings,
): Promise<number> {
  const host = newSandbox();
  host.seed(seed);
  writeFileSync(join(host.directory, "etc/sources.list"), `deb [trusted=yes] ${repositoryUrl}/ ./\n`);
  await aptUpdate(host);
  const installer = createAptInstaller(
    configFileSchema.parse({ apt: { configFile: host.configFile } }),
    settings,
  );
  const started = performance.now();
  const result = await installer.download?.([target]);
  const seconds = (performance.now() - started) / 1000;
  if (!result?.outcomes.every((outcome) => outcome.downloaded)) {
    throw new Error(`the pre-download failed:\n${result?.output}`);
  }
  return seconds;
}

const line = (label: string, seconds: number) =>
  console.log(
    `${label.padEnd(48)} ${seconds.toFixed(2).padStart(7)} s  ${(packageMib / seconds).toFixed(1).padStart(7)} MiB/s`,
  );

try {
  const builder = newSandbox();
  const seed = builder.addPackage("main", { name: "rf-large", version: "1.0" });
  buildLargePackage(builder, "1.1");
  builder.publish("main");
  const repository = serveDirectory(builder.repositoryPath("main"));
  const proxy = new AptCacherNg();
  await proxy.start([repository.port]);
  try {
    console.log(`apt-get install -d of a ${packageMib} MiB package over HTTP on this machine`);
    line("no limit", await timedDownload(seed, repository.url, profile({})));
    line(
      `Acquire::http::Dl-Limit=${limitKib} (KiB/s)`,
      await timedDownload(seed, repository.url, profile({ limitKibPerSecond: limitKib })),
    );
    line(
      "through apt-cacher-ng, first host (cache filled)",
      await timedDownload(seed, repository.url, profile({ aptProxy: proxy.url })),
    );
    line(
      "through apt-cacher-ng, second host (cache hit)",
      await timedDownload(seed, repository.url, profile({ aptProxy: proxy.url })),
    );
    const fetched = proxy.transfers().filter((entry) => entry.path.endsWith("rf-large_1.1_all.deb"));
    console.log(
      `apt-cacher-ng log for the package: ${fetched.filter((entry) => entry.direction === "I").length} fetched from the repository, ${fetched.filter((entry) => entry.direction === "O").length} served to hosts`,
    );
  } finally {
    await proxy.stop();
    repository.server.stop(true);
  }
} finally {
  for (const sandbox of sandboxes) sandbox.remove();
}
