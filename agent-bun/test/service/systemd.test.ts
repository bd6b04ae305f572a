import { afterEach, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExitError, exitCodes } from "../../src/errors.ts";
import type { RegistrationOutcome, ServiceOptions } from "../../src/service/service.ts";
import {
  installSystemdService,
  type SystemdHost,
  uninstallSystemdService,
} from "../../src/service/systemd.ts";
import { renderUnit, unitName } from "../../src/service/systemd-unit.ts";

// The file side of --install-service / --uninstall-service on a temporary root. systemctl only runs
// where systemd is PID 1, which it is not here: these roots have no /run/systemd/system, and the
// enabled, started, restarted service is shown on a real systemd host by
// test/agent/systemd-service.e2e.ts.

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function temporaryRoot() {
  const root = mkdtempSync(join(tmpdir(), "redflag-service-"));
  roots.push(root);
  const binary = join(root, "download", "redflag-agent-linux-x64");
  mkdirSync(join(root, "download"));
  mkdirSync(join(root, "usr/local/bin"), { recursive: true });
  writeFileSync(binary, "#!/bin/sh\necho agent 1\n", { mode: 0o700 });
  const systemctlCalls: string[][] = [];
  const host: SystemdHost = {
    runDirectory: join(root, "run/systemd/system"),
    unitDirectory: join(root, "etc/systemd/system"),
    defaultConfigPath: join(root, "etc/aggregator/config.json"),
    defaultStateDirectory: join(root, "var/lib/aggregator"),
    systemctl: async (args) => {
      systemctlCalls.push(args);
      throw new Error("systemctl must not run without systemd");
    },
  };
  const registrations: RegistrationOutcome[] = [];
  const options: ServiceOptions = {
    serverUrl: "http://127.0.0.1:8080",
    registrationToken: "rf_reg_0123456789",
    fingerprint: null,
    purge: false,
    installPath: join(root, "usr/local/bin/redflag-agent"),
    currentBinaryPath: binary,
    configPath: host.defaultConfigPath,
    stateDirectory: host.defaultStateDirectory,
    ensureRegistered: async () => {
      const outcome: RegistrationOutcome = {
        kind: registrations.length === 0 ? "registered" : "kept",
        agentId: "agt_0123456789abcdefghijklmnop",
      };
      registrations.push(outcome);
      // What the CLI's registration leaves behind.
      mkdirSync(join(root, "etc/aggregator"), { recursive: true });
      writeFileSync(host.defaultConfigPath, "{}\n");
      mkdirSync(host.defaultStateDirectory, { recursive: true });
      writeFileSync(join(host.defaultStateDirectory, "machine_id"), "m\n");
      return outcome;
    },
  };
  return { root, binary, host, options, registrations, systemctlCalls };
}

function collect() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (text: string) => out.push(text), stderr: (text: string) => err.push(text) },
    out,
    err,
  };
}

describe("the systemd unit", () => {
  test("restarts always, a few seconds after, runs the installed binary as a daemon, keeps root's powers for apt", () => {
    const unit = renderUnit({
      binaryPath: "/usr/local/bin/redflag-agent",
      configPath: null,
      stateDirectory: null,
    });
    expect(unit).toContain("\nExecStart=/usr/local/bin/redflag-agent --daemon\n");
    expect(unit).toContain("\nRestart=always\n");
    expect(unit).toContain("\nRestartSec=5\n");
    expect(unit).toContain("\nStartLimitIntervalSec=0\n");
    expect(unit).toContain("\nKillMode=process\n");
    expect(unit).toContain("\nWantedBy=multi-user.target\n");
    expect(unit).not.toContain("Environment=");
    // Each of these breaks apt's maintainer scripts or dpkg writing /usr (see systemd-unit.ts).
    for (const option of [
      "NoNewPrivileges",
      "ProtectSystem",
      "RestrictSUIDSGID",
      "ProtectKernelModules",
      "PrivateTmp",
    ]) {
      expect(unit).not.toContain(option);
    }
  });

  test("names a config and state directory other than the defaults in its environment", () => {
    const unit = renderUnit({
      binaryPath: "/opt/redflag/redflag-agent",
      configPath: "/srv/redflag/config.json",
      stateDirectory: "/srv/redflag/state",
    });
    expect(unit).toContain("\nEnvironment=AGENT_CONFIG_PATH=/srv/redflag/config.json\n");
    expect(unit).toContain("\nEnvironment=REDFLAG_STATE_DIR=/srv/redflag/state\n");
  });

  test("refuses a path that would be a specifier, a second word or a new line in the unit", () => {
    for (const path of [
      "/opt/red flag/agent",
      "/opt/%h/agent",
      "/opt/a\nExecStartPre=/bin/sh",
      "relative/agent",
      '/opt/"x"',
    ]) {
      expect(() => renderUnit({ binaryPath: path, configPath: null, stateDirectory: null })).toThrow(
        ExitError,
      );
      expect(() =>
        renderUnit({ binaryPath: "/usr/local/bin/redflag-agent", configPath: path, stateDirectory: null }),
      ).toThrow(/cannot go into a systemd unit/);
    }
  });

  test("systemd-analyze verify accepts it without a single warning", () => {
    const root = mkdtempSync(join(tmpdir(), "redflag-unit-"));
    roots.push(root);
    const binary = join(root, "redflag-agent");
    writeFileSync(binary, "#!/bin/sh\n");
    chmodSync(binary, 0o755);
    const unitPath = join(root, unitName);
    writeFileSync(
      unitPath,
      renderUnit({ binaryPath: binary, configPath: join(root, "c.json"), stateDirectory: root }),
    );
    const verify = Bun.spawnSync(["systemd-analyze", "verify", unitPath], { stdout: "pipe", stderr: "pipe" });
    const output = `${verify.stdout.toString()}${verify.stderr.toString()}`;
    expect(output).toBe("");
    expect(verify.exitCode).toBe(0);
    // The check itself would see a mistake: an unknown key is reported (exit 0, but a warning).
    writeFileSync(unitPath, `${readFileSync(unitPath, "utf8")}Restrat=always\n`);
    const broken = Bun.spawnSync(["systemd-analyze", "verify", unitPath], { stdout: "pipe", stderr: "pipe" });
    expect(broken.stderr.toString()).toContain("Unknown key 'Restrat'");
  });
});

describe("--install-service without systemd", () => {
  test("installs the binary and registers, writes no unit, says so and names what to run instead", async () => {
    const { options, host, registrations, systemctlCalls } = temporaryRoot();
    const { io, out, err } = collect();
    const result = await installSystemdService(options, io, host);
    expect(result).toEqual({ kind: "noServiceManager" });
    expect(readFileSync(options.installPath, "utf8")).toBe("#!/bin/sh\necho agent 1\n");
    expect(statSync(options.installPath).mode & 0o777).toBe(0o755);
    expect(registrations.map((registration) => registration.kind)).toEqual(["registered"]);
    expect(existsSync(join(host.unitDirectory, unitName))).toBe(false);
    expect(systemctlCalls).toEqual([]);
    expect(out.join("")).toContain(`Installed: ${options.installPath}`);
    const message = err.join("");
    expect(message).toContain(`systemd is not running on this machine (no ${host.runDirectory})`);
    expect(message).toContain(`command=${options.installPath}`);
    expect(message).toContain("rc-update add redflag-agent default");
  });

  test("run again, it replaces the binary atomically (a new file, not the old one rewritten) and keeps the registration", async () => {
    const { options, host, binary, registrations } = temporaryRoot();
    await installSystemdService(options, collect().io, host);
    const before = statSync(options.installPath);
    writeFileSync(binary, "#!/bin/sh\necho agent 2\n");
    const { io, out } = collect();
    await installSystemdService(options, io, host);
    expect(readFileSync(options.installPath, "utf8")).toBe("#!/bin/sh\necho agent 2\n");
    expect(statSync(options.installPath).ino).not.toBe(before.ino);
    expect(out.join("")).toContain(`Upgraded: ${options.installPath}`);
    expect(out.join("")).toContain("Kept the registration as agt_0123456789abcdefghijklmnop");
    expect(registrations.map((registration) => registration.kind)).toEqual(["registered", "kept"]);
    expect(Bun.spawnSync(["find", join(options.installPath, ".."), "-name", "*.new"]).stdout.toString()).toBe(
      "",
    );
  });

  test("run by the installed binary itself, it leaves the file alone", async () => {
    const { options, host } = temporaryRoot();
    await installSystemdService(options, collect().io, host);
    const before = statSync(options.installPath);
    const { io, out } = collect();
    await installSystemdService({ ...options, currentBinaryPath: options.installPath }, io, host);
    expect(statSync(options.installPath).ino).toBe(before.ino);
    expect(out.join("")).toContain(`Already in place: ${options.installPath}`);
  });

  test("a config path the unit cannot hold is refused before anything changes", async () => {
    const { options, host, registrations } = temporaryRoot();
    const attempt = installSystemdService(
      { ...options, configPath: "/etc/red flag/config.json" },
      collect().io,
      host,
    );
    await expect(attempt).rejects.toThrow(/cannot go into a systemd unit/);
    expect(existsSync(options.installPath)).toBe(false);
    expect(registrations).toEqual([]);
  });

  test("a binary that cannot be written is a clear error that names the path", async () => {
    const { options, host, root } = temporaryRoot();
    const attempt = installSystemdService(
      { ...options, installPath: join(root, "missing/dir/redflag-agent") },
      collect().io,
      host,
    );
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExitError);
    expect((error as ExitError).message).toContain(
      `Cannot install the agent at ${join(root, "missing/dir/redflag-agent")}`,
    );
    expect((error as ExitError).exitCode).toBe(exitCodes.internal);
  });
});

describe("--uninstall-service", () => {
  test("removes the unit and the binary, keeps config and state; again, it finds nothing and does not fail", async () => {
    const { options, host } = temporaryRoot();
    await installSystemdService(options, collect().io, host);
    mkdirSync(host.unitDirectory, { recursive: true });
    writeFileSync(join(host.unitDirectory, unitName), "[Service]\n");
    const { io, out } = collect();
    await uninstallSystemdService(options, io, host);
    expect(existsSync(join(host.unitDirectory, unitName))).toBe(false);
    expect(existsSync(options.installPath)).toBe(false);
    expect(existsSync(options.configPath)).toBe(true);
    expect(existsSync(join(options.stateDirectory, "machine_id"))).toBe(true);
    expect(out.join("")).toContain(`Removed ${options.installPath}`);
    const again = collect();
    await uninstallSystemdService(options, again.io, host);
    expect(again.out.join("")).toBe("");
  });

  test("--purge removes the agent's own /etc/aggregator and /var/lib/aggregator whole", async () => {
    const { options, host, root } = temporaryRoot();
    await installSystemdService(options, collect().io, host);
    mkdirSync(join(root, "etc/aggregator/hooks.d"), { recursive: true });
    await uninstallSystemdService({ ...options, purge: true }, collect().io, host);
    expect(existsSync(join(root, "etc/aggregator"))).toBe(false);
    expect(existsSync(join(root, "var/lib/aggregator"))).toBe(false);
    expect(existsSync(join(root, "etc"))).toBe(true);
    await uninstallSystemdService({ ...options, purge: true }, collect().io, host);
  });

  test("--purge with a config and state elsewhere removes only the agent's files there", async () => {
    const { options, host, root } = temporaryRoot();
    const shared = join(root, "srv");
    mkdirSync(join(shared, "outbox"), { recursive: true });
    for (const file of ["config.json", "last_scan.json", "machine_id", "other-program.conf"]) {
      writeFileSync(join(shared, file), "x\n");
    }
    await uninstallSystemdService(
      { ...options, configPath: join(shared, "config.json"), stateDirectory: shared, purge: true },
      collect().io,
      host,
    );
    expect(Bun.spawnSync(["ls", "-A", shared]).stdout.toString()).toBe("other-program.conf\n");
  });
});
