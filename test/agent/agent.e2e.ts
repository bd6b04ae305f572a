import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { agentTargets } from "../../agent-bun/build.ts";
import { AptSandbox } from "../../agent-bun/test/package-managers/apt/apt-sandbox.ts";
import { type NextServer, startNextServer, temporaryDirectory } from "../e2e/next-server.ts";
import { apiClient, rawCall } from "../harness/server.ts";
import { waitFor } from "../harness/wait-for.ts";
import {
  type Daemon,
  outboxFiles,
  requireAgentBinary,
  runAgent,
  startDaemon,
  startRelay,
} from "./agent-process.ts";

/**
 * No mocks: the production server (embedded PGlite), the compiled linux-x64 agent, and real apt
 * and dpkg on an isolated root with repositories built here (a normal and a security update).
 */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

describe("the compiled agent against the production server", () => {
  test("register, scan, report, approve, install for real, and the outbox delivers once", async () => {
    requireAgentBinary();
    const sandbox = new AptSandbox([
      { name: "main", suite: "bookworm", label: "RedFlag Test", origin: "RedFlag" },
      { name: "security", suite: "bookworm-security", label: "Debian-Security", origin: "Debian" },
    ]);
    cleanups.push(() => sandbox.remove());
    const seeds = [
      sandbox.addPackage("main", { name: "rf-normal", version: "1.0-1" }),
      sandbox.addPackage("security", { name: "rf-openssl", version: "3.0.15-1~deb12u1" }),
    ];
    sandbox.addPackage("main", {
      name: "rf-normal",
      version: "1.1-1",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable in the package's script
      postinst: 'touch "${DPKG_ROOT:-}/run/reboot-required"',
    });
    sandbox.addPackage("security", { name: "rf-openssl", version: "3.0.15-1~deb12u1+deb12u1" });
    sandbox.publish("main");
    sandbox.publish("security");
    for (const seed of seeds) sandbox.seed(seed);

    const data = temporaryDirectory("redflag-agent-e2e-");
    cleanups.push(data.remove);
    let server: NextServer | null = await startNextServer({
      REDFLAG_DATA_DIR: join(data.path, "server"),
      REDFLAG_ADMIN_USER: "admin",
      REDFLAG_ADMIN_PASSWORD: "agent e2e admin password",
    });
    cleanups.push(() => server?.stop());
    const login = await rawCall(server.url, "auth.login", {
      type: "mutation",
      input: { username: "admin", password: "agent e2e admin password" },
    });
    expect(login.status).toBe(200);
    const admin = apiClient(server.url, { cookie: login.headers.get("set-cookie")?.split(";")[0] ?? "" });
    const relay = await startRelay(Number(new URL(server.url).port));
    cleanups.push(() => relay.stop());

    const configPath = join(data.path, "agent", "config.json");
    const stateDirectory = join(data.path, "agent", "state");
    const env = { AGENT_CONFIG_PATH: configPath, REDFLAG_STATE_DIR: stateDirectory };
    await Bun.write(
      configPath,
      JSON.stringify({
        pollJitterSeconds: 0,
        apt: {
          configFile: sandbox.configFile,
          rebootRequiredFile: join(sandbox.fakeRoot, "run/reboot-required"),
        },
      }),
    );

    // Register: a wrong token first, then a real one.
    const refused = await runAgent(
      ["--register", "--server", relay.url, "--token", "rf_reg_not-a-real-token-000"],
      env,
    );
    expect(refused.exitCode).toBe(6);
    expect(refused.stderr).toContain("refused the registration token");
    const registration = await admin.registrationTokens.create.mutate({ label: "agent e2e", seats: 1 });
    const { activeFingerprint } = await admin.signingKeys.current.query();
    const registered = await runAgent(
      [
        "--register",
        "--server",
        relay.url,
        "--token",
        registration.token,
        "--fingerprint",
        activeFingerprint,
      ],
      env,
    );
    expect(registered.stderr).toBe("");
    expect(registered.exitCode).toBe(0);
    const agentId = /Registered as (agt_\w+)/.exec(registered.stdout)?.[1] ?? "";
    expect(agentId).toStartWith("agt_");

    // --scan prints both updates with the right flags, and caches them for --export.
    // A terminal wide enough that no cell is cut short. One type and a Severity that only mirrors
    // Security (important = yes, low = no): the table leaves both columns out.
    const scan = await runAgent(["--scan"], { ...env, COLUMNS: "200" });
    expect(scan.exitCode).toBe(0);
    const rows = scan.stdout.split("\n");
    expect(scan.stdout).not.toMatch(/\bType\b|\bSeverity\b/);
    expect(rows.find((row) => row.includes("rf-openssl"))).toMatch(
      /^│\s*rf-openssl\s*│\s*3\.0\.15-1~deb12u1\s*│\s*3\.0\.15-1~deb12u1\+deb12u1\s*│\s*yes\s*│\s*Debian-Security:bookworm-security/,
    );
    expect(rows.find((row) => row.includes("rf-normal"))).toMatch(
      /^│\s*rf-normal\s*│\s*1\.0-1\s*│\s*1\.1-1\s*│\s*│\s*RedFlag Test:bookworm/,
    );
    expect(scan.stdout).toContain("2 updates available (1 security)");
    const exported = JSON.parse((await runAgent(["--export=json"], env)).stdout);
    expect(exported.updates).toEqual([
      {
        packageType: "apt",
        packageName: "rf-openssl",
        currentVersion: "3.0.15-1~deb12u1",
        availableVersion: "3.0.15-1~deb12u1+deb12u1",
        severity: "important",
        security: true,
        cves: [],
        source: "Debian-Security:bookworm-security",
        status: "ok",
      },
      {
        packageType: "apt",
        packageName: "rf-normal",
        currentVersion: "1.0-1",
        availableVersion: "1.1-1",
        severity: "low",
        security: false,
        cves: [],
        source: "RedFlag Test:bookworm",
        status: "ok",
      },
    ]);
    const csv = (await runAgent(["--export=csv"], env)).stdout.split("\n");
    expect(csv[0]).toBe(
      "package_type,package_name,current_version,available_version,severity,security,cves,source,status",
    );
    expect(csv[1]).toBe(
      "apt,rf-openssl,3.0.15-1~deb12u1,3.0.15-1~deb12u1+deb12u1,important,true,,Debian-Security:bookworm-security,ok",
    );

    // The daemon reports; rapid mode makes it poll every 5 s, so the install is picked up soon.
    await admin.agents.configure.mutate({ agentId, rapidModeMinutes: 30 });
    let daemon: Daemon = startDaemon(env);
    cleanups.push(() => daemon.stop());
    const reported = await waitFor("both updates on the server", async () => {
      const list = await admin.updates.list.query({ agentId });
      return list.items.length === 2 ? list.items : undefined;
    });
    const secure = reported.find((update) => update.packageName === "rf-openssl");
    expect(secure).toMatchObject({
      security: true,
      severity: "important",
      availableVersion: "3.0.15-1~deb12u1+deb12u1",
    });
    expect(reported.find((update) => update.packageName === "rf-normal")).toMatchObject({
      security: false,
      currentVersion: "1.0-1",
      availableVersion: "1.1-1",
    });

    // A second agent on the same host refuses to start.
    const second = await runAgent([], env);
    expect(second.exitCode).toBe(8);
    expect(second.stderr).toContain("already running");

    const updateIds = reported.map((update) => update.id);
    expect((await admin.updates.approve.mutate({ updateIds })).changed).toBe(2);
    const { commandIds } = await admin.updates.install.mutate({ updateIds });
    expect(commandIds.length).toBe(1);
    await waitFor(
      "both updates installed on the server",
      async () => {
        const list = await admin.updates.list.query({ agentId });
        return list.items.every((update) => update.status === "installed") ? true : undefined;
      },
      90_000,
    );
    expect(sandbox.installedVersion("rf-normal")).toBe("1.1-1");
    expect(sandbox.installedVersion("rf-openssl")).toBe("3.0.15-1~deb12u1+deb12u1");
    const command = await admin.commands.get.query({ commandId: commandIds[0] ?? "" });
    expect(command.status).toBe("succeeded");
    expect(command.exitCode).toBe(0);
    expect(
      command.logs.some((log) => log.kind === "progress" && log.message.startsWith("Plan: upgrade")),
    ).toBe(true);
    expect(command.itemOutcomes?.map((outcome) => outcome.installedVersion).sort()).toEqual([
      "1.1-1",
      "3.0.15-1~deb12u1+deb12u1",
    ]);
    // rf-normal's postinst asked for a reboot; the next check-in says so.
    await waitFor("reboot-required on the server", async () =>
      (await admin.agents.get.query({ agentId })).rebootRequired ? true : undefined,
    );
    expect(await daemon.stop()).toBe(0);

    // Server down while the agent reports: the report waits in the outbox, then arrives once.
    const scansBefore = (await admin.agents.get.query({ agentId })).latestScans.length;
    sandbox.addPackage("main", { name: "rf-normal", version: "1.2-1" });
    sandbox.publish("main");
    // An access token the server no longer knows: the agent must renew it with its refresh token.
    const config = JSON.parse(readFileSync(configPath, "utf8"));
    const refreshBefore = config.registration.refreshToken;
    config.registration.accessToken = "not-the-access-token-0000000000000000";
    writeFileSync(configPath, JSON.stringify(config));
    relay.down();
    daemon = startDaemon(env);
    await waitFor("a report in the outbox", () => outboxFiles(stateDirectory).length === 1);
    await daemon.waitForOutput(/Cannot reach the server/);
    expect((await admin.agents.get.query({ agentId })).latestScans.length).toBe(scansBefore);
    relay.up();
    await waitFor("the outbox to be empty", () => outboxFiles(stateDirectory).length === 0, 120_000);
    await daemon.waitForOutput(/Delivered reportScan from the outbox/);
    const afterDelivery = await admin.agents.get.query({ agentId });
    expect(afterDelivery.latestScans.length).toBe(scansBefore + 1);
    const reopened = await admin.updates.list.query({ agentId, statuses: ["available"] });
    expect(reopened.items.map((update) => [update.packageName, update.availableVersion])).toEqual([
      ["rf-normal", "1.2-1"],
    ]);
    expect(await daemon.stop()).toBe(0);
    expect(daemon.output().match(/Delivered reportScan/g)?.length).toBe(1);
    expect((await admin.agents.get.query({ agentId })).latestScans.length).toBe(scansBefore + 1);
    expect(JSON.parse(readFileSync(configPath, "utf8")).registration.refreshToken).not.toBe(refreshBefore);

    const status = await runAgent(["--status"], env);
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain(`yes, as ${agentId}`);
    expect(status.stdout).toContain("Outbox:          0 waiting");
    expect(status.stdout).not.toContain("Last check-in:   never");

    await server.stop();
    server = null;
  }, 300_000);
});

describe("/downloads on the production server", () => {
  test("serves each built binary with its SHA-256, and nothing else", async () => {
    const data = temporaryDirectory("redflag-downloads-e2e-");
    cleanups.push(data.remove);
    const server = await startNextServer({ REDFLAG_DATA_DIR: data.path });
    cleanups.push(() => server.stop());
    const sums = new Map(
      readFileSync(join(import.meta.dir, "../../dist/agents/SHA256SUMS"), "utf8")
        .trim()
        .split("\n")
        .map((line) => {
          const [sha256 = "", file = ""] = line.split(/\s+/);
          return [file, sha256] as const;
        }),
    );
    expect([...sums.keys()].sort()).toEqual(agentTargets.map((target) => target.file).sort());
    for (const target of agentTargets) {
      const response = await fetch(`${server.url}/downloads/${target.file}`);
      expect(response.status).toBe(200);
      const body = new Uint8Array(await response.arrayBuffer());
      const actual = new Bun.CryptoHasher("sha256").update(body).digest("hex");
      expect(actual).toBe(sums.get(target.file) ?? "");
      expect(response.headers.get("x-checksum-sha256")).toBe(actual);
      expect(response.headers.get("content-type")).toBe("application/octet-stream");
      const checksum = await fetch(`${server.url}/downloads/${target.file}.sha256`);
      expect(checksum.status).toBe(200);
      expect(await checksum.text()).toBe(`${actual}  ${target.file}\n`);
    }
    const checksums = await fetch(`${server.url}/downloads/SHA256SUMS`);
    expect(checksums.status).toBe(200);
    expect(await checksums.text()).toBe(
      readFileSync(join(import.meta.dir, "../../dist/agents/SHA256SUMS"), "utf8"),
    );
    for (const name of [
      "redflag-agent-linux-x64.gz",
      "redflag-agent-linux-x64.exe",
      "redflag-agent-linux-x64.sha256.sha256",
      "..%2F..%2Fpackage.json",
      "%2Fetc%2Fpasswd",
      "redflag-agent-LINUX-x64",
    ]) {
      expect({ name, status: (await fetch(`${server.url}/downloads/${name}`)).status }).toEqual({
        name,
        status: 404,
      });
    }
  }, 120_000);
});
