import { afterAll, describe, expect, test } from "bun:test";
import { runAgent, startDaemon, startServerForAgent } from "../../../../test/agent/agent-process.ts";
import { waitFor } from "../../../../test/harness/wait-for.ts";
import { AptSandbox } from "../apt/apt-sandbox.ts";
import { DnfSandbox } from "./dnf-sandbox.ts";

/**
 * No mocks: the production server (embedded PGlite), the compiled linux-x64 agent, and real dnf
 * and rpm on an isolated install root with a repository built here (a bug fix and a security
 * advisory). Run after `bun run build` and `bun run build:agents`.
 */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

describe("the compiled agent with real dnf against the production server", () => {
  test("scan finds both updates with their flags, the agent installs them, the server marks them installed", async () => {
    const dnf = new DnfSandbox();
    cleanups.push(() => dnf.remove());
    dnf.seed(
      dnf.add({ name: "rf-tool", version: "2.4", release: "1.fc40" }),
      dnf.add({ name: "rf-libcrypt", version: "3.0.7", release: "2.fc40", epoch: 1 }),
    );
    dnf.add({ name: "rf-tool", version: "2.5", release: "1.fc40" });
    dnf.add({ name: "rf-libcrypt", version: "3.0.7", release: "3.fc40", epoch: 1 });
    dnf.addAdvisory({
      id: "FEDORA-2026-4f1e2d",
      type: "security",
      severity: "Important",
      title: "rf-libcrypt security update",
      cves: ["CVE-2026-21001"],
      packages: [{ name: "rf-libcrypt", version: "3.0.7", release: "3.fc40", epoch: 1 }],
    });
    dnf.addAdvisory({
      id: "FEDORA-2026-77aa01",
      type: "bugfix",
      title: "rf-tool bug fix",
      packages: [{ name: "rf-tool", version: "2.5", release: "1.fc40" }],
    });
    dnf.publish();
    // apt is on this Debian host too: an empty isolated apt keeps the host's own packages out.
    const apt = new AptSandbox([]);
    cleanups.push(() => apt.remove());

    const { server, admin, configPath, env } = await startServerForAgent("dnf", cleanups);
    await Bun.write(
      configPath,
      JSON.stringify({ pollJitterSeconds: 0, apt: { configFile: apt.configFile }, dnf: dnf.agentConfig }),
    );
    const registration = await admin.registrationTokens.create.mutate({ label: "dnf e2e", seats: 1 });
    const registered = await runAgent(
      ["--register", "--server", server.url, "--token", registration.token],
      env,
    );
    expect(registered.exitCode).toBe(0);
    const agentId = /Registered as (agt_\w+)/.exec(registered.stdout)?.[1] ?? "";

    // A terminal wide enough that no cell is cut short; one type and a Severity that only mirrors
    // Security (important = yes, unknown = no): the table leaves both columns out.
    const scan = await runAgent(["--scan"], { ...env, COLUMNS: "200" });
    expect(scan.stderr).toBe("");
    expect(scan.exitCode).toBe(0);
    const rows = scan.stdout.split("\n");
    expect(rows.find((row) => row.includes("rf-libcrypt"))).toMatch(
      /^│\s*rf-libcrypt\.noarch\s*│\s*1:3\.0\.7-2\.fc40\s*│\s*1:3\.0\.7-3\.fc40\s*│\s*yes\s*│\s*redflag-test\s*│\s*rf-libcrypt-1:3\.0\.7-3\.fc40\.noarch · FEDORA-2026-4f1e2d CVE-2026-21001/,
    );
    expect(rows.find((row) => row.includes("rf-tool"))).toMatch(
      /^│\s*rf-tool\.noarch\s*│\s*2\.4-1\.fc40\s*│\s*2\.5-1\.fc40\s*│\s*│\s*redflag-test\s*│\s*rf-tool-2\.5-1\.fc40\.noarch · FEDORA-2026-77aa01/,
    );
    expect(scan.stdout).toContain("2 updates available (1 security)");

    await admin.agents.configure.mutate({ agentId, rapidModeMinutes: 30 });
    const daemon = startDaemon(env);
    cleanups.push(() => daemon.stop());
    const reported = await waitFor("both dnf updates on the server", async () => {
      const list = await admin.updates.list.query({ agentId, packageTypes: ["dnf"] });
      return list.items.length === 2 ? list.items : undefined;
    });
    expect(reported.find((update) => update.packageName === "rf-libcrypt")).toMatchObject({
      packageType: "dnf",
      target: "noarch",
      security: true,
      severity: "important",
      cves: ["CVE-2026-21001"],
      currentVersion: "1:3.0.7-2.fc40",
      availableVersion: "1:3.0.7-3.fc40",
    });
    expect(reported.find((update) => update.packageName === "rf-tool")).toMatchObject({
      security: false,
      currentVersion: "2.4-1.fc40",
      availableVersion: "2.5-1.fc40",
    });

    const updateIds = reported.map((update) => update.id);
    await admin.updates.approve.mutate({ updateIds });
    const { commandIds } = await admin.updates.install.mutate({ updateIds });
    await waitFor(
      "both dnf updates installed on the server",
      async () => {
        const list = await admin.updates.list.query({ agentId, packageTypes: ["dnf"] });
        return list.items.every((update) => update.status === "installed") ? true : undefined;
      },
      120_000,
    );
    expect(dnf.installed("rf-tool")).toBe("2.5-1.fc40");
    expect(dnf.installed("rf-libcrypt")).toBe("1:3.0.7-3.fc40");
    const command = await admin.commands.get.query({ commandId: commandIds[0] ?? "" });
    expect(command.status).toBe("succeeded");
    expect(command.logs.some((log) => log.message.startsWith("Plan: upgrade rf-"))).toBe(true);
    expect(command.itemOutcomes?.map((outcome) => outcome.installedVersion).sort()).toEqual([
      "1:3.0.7-3.fc40",
      "2.5-1.fc40",
    ]);
    expect(await daemon.stop()).toBe(0);
  }, 300_000);
});
