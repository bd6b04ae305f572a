/**
 * Bandwidth end to end: the production server and the compiled linux-x64 agent on real apt and dpkg
 * in an isolated root, a repository served over HTTP by this test and a real apt-cacher-ng (Debian's
 * package, run as this test's child on its own port and directories) as a regional cache. An admin's
 * download profile for tag "branch" names the cache and a limit; the install the admin queues is
 * leased with the profile, and the agent fetches the package through the cache: its log shows the
 * transfer, the repository sees only the cache. A maintenance window's pre-download leaves the package
 * in apt's cache of the isolated root and installs nothing until the window opens, which installs it.
 * Needs `bun run build` and `bun run build:agents`.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { idSchema } from "@redflag/contracts";
import { AptCacherNg, serveDirectory } from "../../agent-bun/test/package-managers/apt/apt-cacher-ng.ts";
import { AptSandbox } from "../../agent-bun/test/package-managers/apt/apt-sandbox.ts";
import { waitFor } from "../harness/wait-for.ts";
import { requireAgentBinary, runAgent, startDaemon, startServerForAgent } from "./agent-process.ts";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

describe("download profiles with the compiled agent and the production server", () => {
  test("an install for a host of tag branch fetches through the profile's apt-cacher-ng, with its limit", async () => {
    requireAgentBinary();
    const sandbox = new AptSandbox([
      { name: "main", suite: "stable", label: "RedFlag Test", origin: "RedFlag" },
    ]);
    cleanups.push(() => sandbox.remove());
    sandbox.seed(sandbox.addPackage("main", { name: "rf-branch", version: "1.0-1" }));
    sandbox.addPackage("main", { name: "rf-branch", version: "1.1-1" });
    sandbox.publish("main");
    const repository = serveDirectory(sandbox.repositoryPath("main"));
    cleanups.push(() => repository.server.stop(true));
    writeFileSync(join(sandbox.directory, "etc/sources.list"), `deb [trusted=yes] ${repository.url}/ ./\n`);
    const cache = new AptCacherNg();
    await cache.start([repository.port]);
    cleanups.push(() => cache.stop());

    const { server, admin, configPath, env } = await startServerForAgent("bandwidth", cleanups);
    await Bun.write(
      configPath,
      JSON.stringify({ pollJitterSeconds: 0, apt: { configFile: sandbox.configFile } }),
    );
    const profile = await admin.downloadProfiles.create.mutate({
      name: "Branch cache",
      tags: ["branch"],
      agentIds: [],
      limitKibPerSecond: 4096,
      aptProxy: cache.url,
      dnfProxy: null,
      dockerRegistryMirror: null,
    });

    const registration = await admin.registrationTokens.create.mutate({ label: "bandwidth", seats: 1 });
    const { activeFingerprint } = await admin.signingKeys.current.query();
    const registered = await runAgent(
      [
        "--register",
        "--server",
        server.url,
        "--token",
        registration.token,
        "--fingerprint",
        activeFingerprint,
      ],
      env,
    );
    expect(registered.exitCode).toBe(0);
    const agentId = idSchema("agent").parse(/Registered as (agt_\w+)/.exec(registered.stdout)?.[1]);
    await admin.agents.configure.mutate({ agentId, tags: ["branch"] });
    expect((await admin.downloadProfiles.forAgent.query({ agentId }))?.id).toBe(profile.id);

    const daemon = startDaemon(env);
    cleanups.push(() => daemon.stop());
    const [update] = await waitFor("the update on the server", async () => {
      const list = await admin.updates.list.query({ agentId });
      return list.items.length === 1 ? list.items : undefined;
    });
    if (!update) throw new Error("no update");
    // The scan read the repository directly: the cache has not seen the package yet.
    expect(cache.transfers().filter((line) => line.path.endsWith(".deb"))).toEqual([]);

    await admin.updates.approve.mutate({ updateIds: [update.id] });
    const {
      commandIds: [commandId],
    } = await admin.updates.install.mutate({ updateIds: [update.id] });
    if (!commandId) throw new Error("no install queued");
    const install = await waitFor(
      "the install finished",
      async () => {
        const command = await admin.commands.get.query({ commandId });
        return command.status === "succeeded" || command.status === "failed" ? command : undefined;
      },
      120_000,
    );
    expect(install.status).toBe("succeeded");
    expect(sandbox.installedVersion("rf-branch")).toBe("1.1-1");
    expect(install.output).toContain(`-o Acquire::http::Proxy=${cache.url}`);
    expect(install.output).toContain("-o Acquire::http::Dl-Limit=4096");

    // apt-cacher-ng's own log: fetched from the repository (I) and handed to the agent's apt (O).
    const transfers = cache.transfers().filter((line) => line.path.endsWith("rf-branch_1.1-1_all.deb"));
    expect(transfers.map((line) => line.direction).sort()).toEqual(["I", "O"]);
    expect(repository.requests.get("/rf-branch_1.1-1_all.deb")).toBe(1);
  }, 300_000);

  test("a window's pre-download fills apt's cache and installs nothing; the window then installs from it", async () => {
    requireAgentBinary();
    const sandbox = new AptSandbox([
      { name: "main", suite: "stable", label: "RedFlag Test", origin: "RedFlag" },
    ]);
    cleanups.push(() => sandbox.remove());
    sandbox.seed(sandbox.addPackage("main", { name: "rf-early", version: "1.0-1" }));
    sandbox.addPackage("main", { name: "rf-early", version: "1.1-1" });
    sandbox.publish("main");
    const repository = serveDirectory(sandbox.repositoryPath("main"));
    cleanups.push(() => repository.server.stop(true));
    writeFileSync(join(sandbox.directory, "etc/sources.list"), `deb [trusted=yes] ${repository.url}/ ./\n`);
    const cache = new AptCacherNg();
    await cache.start([repository.port]);
    cleanups.push(() => cache.stop());

    const { server, admin, configPath, env } = await startServerForAgent("pre-download", cleanups);
    await Bun.write(
      configPath,
      JSON.stringify({ pollJitterSeconds: 0, apt: { configFile: sandbox.configFile } }),
    );
    await admin.downloadProfiles.create.mutate({
      name: "Everyone through the cache",
      tags: [],
      agentIds: [],
      limitKibPerSecond: null,
      aptProxy: cache.url,
      dnfProxy: null,
      dockerRegistryMirror: null,
    });
    const registration = await admin.registrationTokens.create.mutate({ label: "pre-download", seats: 1 });
    const { activeFingerprint } = await admin.signingKeys.current.query();
    const registered = await runAgent(
      [
        "--register",
        "--server",
        server.url,
        "--token",
        registration.token,
        "--fingerprint",
        activeFingerprint,
      ],
      env,
    );
    expect(registered.exitCode).toBe(0);
    const agentId = idSchema("agent").parse(/Registered as (agt_\w+)/.exec(registered.stdout)?.[1]);
    const daemon = startDaemon(env);
    cleanups.push(() => daemon.stop());
    const [update] = await waitFor("the update on the server", async () => {
      const list = await admin.updates.list.query({ agentId });
      return list.items.length === 1 ? list.items : undefined;
    });
    if (!update) throw new Error("no update");
    await admin.updates.approve.mutate({ updateIds: [update.id] });

    const dpkgStatus = join(sandbox.fakeRoot, "var/lib/dpkg/status");
    const statusBefore = readFileSync(dpkgStatus, "utf8");
    const cached = join(sandbox.directory, "cache/archives/rf-early_1.1-1_all.deb");
    expect(existsSync(cached)).toBe(false);
    // Opens at the first whole minute at least 45 s away (UTC); its hour-long lead time has begun.
    const opens = new Date(Math.ceil((Date.now() + 45_000) / 60_000) * 60_000);
    await admin.maintenanceWindows.create.mutate({
      name: "Soon",
      schedule: `${opens.getUTCMinutes()} ${opens.getUTCHours()} * * *`,
      timeZone: "UTC",
      durationMinutes: 30,
      agentIds: [agentId],
      installApproved: true,
      reboot: "never",
      preDownloadMinutes: 60,
    });

    const downloaded = await waitFor(
      "the update downloaded",
      async () => {
        const list = await admin.updates.list.query({ agentId });
        const row = list.items[0];
        return row?.downloadedAt ? row : undefined;
      },
      90_000,
    );
    expect(downloaded.status).toBe("approved");
    expect(existsSync(cached)).toBe(true);
    expect(readFileSync(dpkgStatus, "utf8")).toBe(statusBefore);
    expect(sandbox.installedVersion("rf-early")).toBe("1.0-1");
    const downloads = await admin.commands.list.query({ agentId, types: ["download"] });
    expect(downloads.items.map((command) => command.status)).toEqual(["succeeded"]);
    expect((await admin.commands.list.query({ agentId, types: ["install"] })).items).toEqual([]);
    const served = () => cache.transfers().filter((line) => line.path.endsWith("rf-early_1.1-1_all.deb"));
    expect(
      served()
        .map((line) => line.direction)
        .sort(),
    ).toEqual(["I", "O"]);

    const installed = await waitFor(
      "the window's install",
      async () => {
        const list = await admin.updates.list.query({ agentId });
        return list.items[0]?.status === "installed" ? list.items[0] : undefined;
      },
      240_000,
    );
    expect(installed.installedVersion).toBe("1.1-1");
    expect(sandbox.installedVersion("rf-early")).toBe("1.1-1");
    // Installed from the cache: nothing more through the proxy.
    expect(served()).toHaveLength(2);
  }, 400_000);
});
