import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CommandTarget, DownloadSettings } from "@redflag/contracts";
import { createDnfInstaller } from "../../../src/package-managers/dnf/installer.ts";
import { agentConfig } from "../../helpers/agent-config.ts";
import { serveDirectory } from "../apt/apt-cacher-ng.ts";
import { DnfSandbox } from "./dnf-sandbox.ts";

/**
 * Real dnf4 on an isolated root, its repository served over HTTP by this test, and a forward HTTP
 * proxy here that records each request it relays: a download profile's `dnfProxy` and limit reach
 * dnf as `--setopt=proxy=` and `--setopt=throttle=`, and dnf fetches the package through the proxy.
 */
const setUpTimeout = 180_000;

let sandbox: DnfSandbox;
let repository: ReturnType<typeof serveDirectory>;
const relayed: string[] = [];
let proxy: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  sandbox = new DnfSandbox();
  for (const name of ["rf-proxied", "rf-early", "rf-other"]) {
    sandbox.seed(sandbox.build({ name, version: "1.0" }));
    sandbox.add({ name, version: "1.1" });
  }
  sandbox.publish();
  repository = serveDirectory(sandbox.repository);
  writeFileSync(
    join(sandbox.reposDir, "redflag.repo"),
    `[redflag-test]\nname=RedFlag test repository\nbaseurl=${repository.url}/\ngpgcheck=0\nenabled=1\nmetadata_expire=0\n`,
  );
  // A forward proxy: the request line names the full URL, which Bun gives as request.url.
  proxy = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      relayed.push(new URL(request.url).pathname);
      const answer = await fetch(request.url, { method: request.method, headers: request.headers });
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    },
  });
}, setUpTimeout);

afterAll(() => {
  proxy?.stop(true);
  repository?.server.stop(true);
  sandbox?.remove();
});

const target: CommandTarget = {
  updateId: "upd_0000000000000000000000dnfp",
  packageType: "dnf",
  packageName: "rf-proxied",
  target: "noarch",
  currentVersion: "1.0-1",
  availableVersion: "1.1-1",
};

const profile = (): DownloadSettings => ({
  profileId: "dlp_000000000000000000000000dn",
  profileName: "Branch proxy",
  limitKibPerSecond: 2048,
  aptProxy: null,
  dnfProxy: `http://127.0.0.1:${proxy.port}`,
  dockerRegistryMirror: null,
});

describe("dnf as a download profile says", () => {
  test("the install fetches through the profile's proxy, with the throttle option", async () => {
    const installer = createDnfInstaller(agentConfig({ dnf: sandbox.agentConfig }), profile());
    const result = await installer.install([target], () => {});
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.installedVersion])).toEqual([
      ["installed", "1.1-1"],
    ]);
    expect(sandbox.installed("rf-proxied")).toBe("1.1-1");
    expect(result.output).toContain(`--setopt=proxy=http://127.0.0.1:${proxy.port}`);
    expect(result.output).toContain("--setopt=throttle=2048k");
    // Metadata and the package came through the proxy; the repository saw only the proxy's requests.
    expect(relayed).toContain("/repodata/repomd.xml");
    expect(relayed.filter((path) => path.endsWith("rf-proxied-1.1-1.noarch.rpm"))).toHaveLength(1);
    expect(repository.requests.get("/rf-proxied-1.1-1.noarch.rpm")).toBe(1);
  }, 60_000);

  test("a pre-download puts the exact rpm in dnf's cache and installs nothing; it outlives another transaction; the install fetches nothing again", async () => {
    const installer = createDnfInstaller(agentConfig({ dnf: sandbox.agentConfig }), profile());
    const early: CommandTarget = {
      ...target,
      updateId: "upd_000000000000000000000early",
      packageName: "rf-early",
    };
    const other: CommandTarget = {
      ...target,
      updateId: "upd_000000000000000000000other",
      packageName: "rf-other",
    };
    const fileName = "rf-early-1.1-1.noarch.rpm";
    // The sandbox's dnf.conf names its cachedir; dnf puts it under the install root.
    const cached = () => findCached(fileName);
    expect(cached()).toBeNull();

    const downloaded = await installer.download?.([early]);
    expect(downloaded?.outcomes).toEqual([
      { updateId: early.updateId, downloaded: true, message: `in dnf's cache: ${fileName}` },
    ]);
    expect(downloaded?.output).toContain("upgrade -y --downloadonly --setopt=keepcache=True");
    expect(downloaded?.output).toContain(`--setopt=proxy=http://127.0.0.1:${proxy.port}`);
    expect(cached()).toStartWith(`${sandbox.installRoot}${sandbox.directory}/cache/redflag-test-`);
    expect(sandbox.installed("rf-early")).toBe("1.0-1");
    expect(relayed.filter((path) => path.endsWith(fileName))).toHaveLength(1);
    expect(repository.requests.get(`/${fileName}`)).toBe(1);

    // Another package's install before the window: dnf would clean what --downloadonly fetched
    // after any successful transaction, unless it was fetched with keepcache.
    const otherResult = await installer.install([other], () => {});
    expect(otherResult.outcomes.map((outcome) => outcome.status)).toEqual(["installed"]);
    expect(sandbox.installed("rf-early")).toBe("1.0-1");
    expect(cached()).not.toBeNull();

    // The window's install: from the cache, nothing fetched again.
    const result = await installer.install([early], () => {});
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.installedVersion])).toEqual([
      ["installed", "1.1-1"],
    ]);
    expect(result.output).toContain(`[SKIPPED] ${fileName}: Already downloaded`);
    expect(sandbox.installed("rf-early")).toBe("1.1-1");
    expect(repository.requests.get(`/${fileName}`)).toBe(1);
    expect(relayed.filter((path) => path.endsWith(fileName))).toHaveLength(1);
  }, 60_000);

  test("a pre-download of a build no repository offers reports it as not downloaded", async () => {
    const installer = createDnfInstaller(agentConfig({ dnf: sandbox.agentConfig }), profile());
    const missing: CommandTarget = {
      ...target,
      updateId: "upd_0000000000000000000missing",
      availableVersion: "9.9-1",
    };
    const downloaded = await installer.download?.([missing]);
    expect(downloaded?.outcomes).toEqual([
      {
        updateId: missing.updateId,
        downloaded: false,
        message: `not in dnf's cache after dnf upgrade --downloadonly (exit ${downloaded?.exitCode})`,
      },
    ]);
    expect(downloaded?.exitCode).not.toBe(0);
  }, 60_000);
});

/** The rpm under the sandbox's cache directory (`<cachedir>/<repo>-<hash>/packages/`), or null. */
function findCached(fileName: string): string | null {
  const cacheDirectory = join(sandbox.installRoot, sandbox.directory, "cache");
  const glob = new Bun.Glob(`*/packages/${fileName}`);
  for (const match of existsSync(cacheDirectory) ? glob.scanSync({ cwd: cacheDirectory }) : []) {
    return join(cacheDirectory, match);
  }
  return null;
}
