import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CommandTarget, DownloadSettings } from "@redflag/contracts";
import { configFileSchema } from "../../../src/config/config.ts";
import { createAptInstaller } from "../../../src/package-managers/apt/installer.ts";
import { AptCacherNg, serveDirectory } from "./apt-cacher-ng.ts";
import { AptSandbox } from "./apt-sandbox.ts";

/**
 * Two hosts (isolated apt roots) behind one real apt-cacher-ng, a repository served over HTTP by
 * the test: the agent's apt installer, given a download profile with that proxy, fetches through
 * it, and the second host's download is a cache hit (the repository sees the package once).
 */
const setUpTimeout = 180_000;

let proxy: AptCacherNg;
let repository: ReturnType<typeof serveDirectory>;
const hosts: AptSandbox[] = [];

function profile(overrides: Partial<DownloadSettings> = {}): DownloadSettings {
  return {
    profileId: "dlp_0000000000000000000000000a",
    profileName: "Regional cache",
    limitKibPerSecond: null,
    aptProxy: proxy.url,
    dnfProxy: null,
    dockerRegistryMirror: null,
    ...overrides,
  };
}

function newHost(): AptSandbox {
  const host = new AptSandbox([{ name: "main", suite: "stable", label: "RedFlag Test", origin: "RedFlag" }]);
  hosts.push(host);
  return host;
}

const target: CommandTarget = {
  updateId: "upd_0000000000000000000000rfpx",
  packageType: "apt",
  packageName: "rf-proxied",
  target: "",
  currentVersion: "1.0",
  availableVersion: "1.1",
};

beforeAll(async () => {
  // One sandbox builds the packages; every host reads them over HTTP.
  const builder = newHost();
  const seed = builder.addPackage("main", { name: "rf-proxied", version: "1.0" });
  builder.addPackage("main", { name: "rf-proxied", version: "1.1" });
  builder.publish("main");
  repository = serveDirectory(builder.repositoryPath("main"));
  proxy = new AptCacherNg();
  await proxy.start([repository.port]);
  for (const host of [newHost(), newHost(), newHost()]) {
    host.seed(seed);
    writeFileSync(join(host.directory, "etc/sources.list"), `deb [trusted=yes] ${repository.url}/ ./\n`);
    // Not host.apt(): a synchronous child would block this process, which serves the repository.
    await aptAsync(host, ["apt-get", "update", "-q", "-o", "APT::Update::Error-Mode=any"]);
  }
}, setUpTimeout);

async function aptAsync(host: AptSandbox, argv: string[]): Promise<void> {
  const child = Bun.spawn(argv, {
    env: { ...process.env, LANG: "C", LC_ALL: "C", APT_CONFIG: host.configFile },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [output, errors, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`${argv.join(" ")} failed (${code}):\n${output}\n${errors}`);
}

afterAll(async () => {
  await proxy?.stop();
  repository?.server.stop(true);
  for (const host of hosts) host.remove();
});

function configFor(host: AptSandbox) {
  return configFileSchema.parse({ apt: { configFile: host.configFile } });
}

describe("apt through a real apt-cacher-ng, as a download profile says", () => {
  test("the install fetches the package through the proxy, whose log shows it", async () => {
    const host = hosts[1] as AptSandbox;
    const result = await createAptInstaller(configFor(host), profile()).install([target], () => {});
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.installedVersion])).toEqual([
      ["installed", "1.1"],
    ]);
    expect(result.output).toContain(`Acquire::http::Proxy=${proxy.url}`);
    const deb = proxy.transfers().filter((line) => line.path.endsWith("rf-proxied_1.1_all.deb"));
    // Fetched from the repository (I) and handed to apt (O).
    expect(deb.map((line) => line.direction).sort()).toEqual(["I", "O"]);
    expect(repository.requests.get("/rf-proxied_1.1_all.deb")).toBe(1);
  });

  test("a second host gets the same package from the proxy's cache, not the repository", async () => {
    const host = hosts[2] as AptSandbox;
    const result = await createAptInstaller(configFor(host), profile({ limitKibPerSecond: 4096 })).install(
      [target],
      () => {},
    );
    expect(result.outcomes.map((outcome) => outcome.status)).toEqual(["installed"]);
    expect(result.output).toContain("Acquire::http::Dl-Limit=4096");
    const deb = proxy.transfers().filter((line) => line.path.endsWith("rf-proxied_1.1_all.deb"));
    expect(deb.map((line) => line.direction).sort()).toEqual(["I", "O", "O"]);
    expect(repository.requests.get("/rf-proxied_1.1_all.deb")).toBe(1);
    expect(host.installedVersion("rf-proxied")).toBe("1.1");
  });

  test("a pre-download leaves the package in apt's cache and installs nothing; the install then fetches nothing", async () => {
    const host = hosts[3] as AptSandbox;
    const installer = createAptInstaller(configFor(host), profile());
    const status = join(host.fakeRoot, "var/lib/dpkg/status");
    const statusBefore = readFileSync(status, "utf8");
    const cached = join(host.directory, "cache/archives/rf-proxied_1.1_all.deb");
    expect(existsSync(cached)).toBe(false);

    const downloaded = await installer.download?.([target]);
    expect(downloaded?.outcomes).toEqual([
      { updateId: target.updateId, downloaded: true, message: "in apt's cache: rf-proxied_1.1_all.deb" },
    ]);
    expect(downloaded?.output).toContain("install -d");
    expect(existsSync(cached)).toBe(true);
    expect(readFileSync(status, "utf8")).toBe(statusBefore);
    expect(host.installedVersion("rf-proxied")).toBe("1.0");
    const servedBefore = proxy.transfers().filter((line) => line.path.endsWith("rf-proxied_1.1_all.deb"));
    // This host's copy came through the proxy too.
    expect(servedBefore.map((line) => line.direction).sort()).toEqual(["I", "O", "O", "O"]);

    // The window's install: from the cache, nothing fetched again.
    const result = await installer.install([target], () => {});
    expect(result.outcomes.map((outcome) => outcome.status)).toEqual(["installed"]);
    expect(host.installedVersion("rf-proxied")).toBe("1.1");
    expect(proxy.transfers().filter((line) => line.path.endsWith("rf-proxied_1.1_all.deb"))).toHaveLength(4);
  });
});
