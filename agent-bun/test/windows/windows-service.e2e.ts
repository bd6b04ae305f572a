import { afterAll, describe, expect, test } from "bun:test";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, renameSync } from "node:fs";
import { join, resolve } from "node:path";
import { startServerForAgent } from "../../../test/agent/agent-process.ts";
import { waitFor } from "../../../test/harness/wait-for.ts";

/**
 * The compiled windows-x64 exe as a real Windows service under Wine's service manager (services.exe):
 * --install-service creates and starts RedFlagAgent through advapi32, the service reports RUNNING
 * and its daemon checks in with the production server; a stop is a clean stop; an auto-start
 * service comes back when Wine "boots" (services.exe starting again); a re-run upgrades and keeps
 * the registration; a daemon ending with an error is reported as a failure with its exit code;
 * --uninstall-service --purge removes it all. Wine's services.exe does not act on failure actions
 * (it says "not implemented" and refuses FailureActionsOnNonCrashFailures), so the restart itself
 * is Windows' to do and is not exercised here. Run after `bun run build:agents`
 * and `bun run build`.
 */
const repository = resolve(import.meta.dir, "../../..");
const exeBuilt = join(repository, "dist/agents/redflag-agent-windows-x64.exe");
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe("the agent as a Windows service under Wine", () => {
  test("install, RUNNING and checked in, clean stop, start at boot, upgrade, a failing daemon reported as a failure, uninstall", async () => {
    if (!existsSync(exeBuilt))
      throw new Error(`No Windows exe at ${exeBuilt}: run \`bun run build:agents\` first`);
    const { server, admin, data } = await startServerForAgent("windows-service", cleanups);
    const prefix = join(data.path, "prefix");
    const env = {
      ...process.env,
      WINEPREFIX: prefix,
      WINEDEBUG: "-all",
      WINEDLLOVERRIDES: "mscoree,mshtml=",
    };
    const outputs = join(data.path, "outputs");
    mkdirSync(outputs);
    // Output goes to files: wine's first call starts services.exe, which would hold a pipe open for ever.
    const run = (cmd: string[]) => {
      const stdoutFile = join(outputs, "stdout");
      const stderrFile = join(outputs, "stderr");
      const stdout = openSync(stdoutFile, "w");
      const stderr = openSync(stderrFile, "w");
      try {
        const result = Bun.spawnSync(cmd, { env, stdio: ["ignore", stdout, stderr] });
        return {
          exitCode: result.exitCode,
          stdout: readFileSync(stdoutFile, "utf8"),
          stderr: readFileSync(stderrFile, "utf8"),
        };
      } finally {
        closeSync(stdout);
        closeSync(stderr);
      }
    };
    // A persistent wineserver keeps services.exe up between calls, as a running Windows would.
    const startWine = () => expect(run(["wineserver", "-p"]).exitCode).toBe(0);
    mkdirSync(prefix);
    startWine();
    cleanups.push(() => run(["wineserver", "-k"]));
    const driveC = join(prefix, "drive_c");
    const mingw = (output: string, sources: string[], extra: string[] = []) => {
      const built = run(["x86_64-w64-mingw32-gcc", "-O2", "-o", output, ...sources, ...extra]);
      expect(built.stderr).toBe("");
      expect(built.exitCode).toBe(0);
    };
    const prng = join(data.path, "bcryptprimitives.dll");
    // Wine 8 lacks ProcessPrng, which Bun's runtime imports (see test/agent/cross-targets.e2e.ts).
    mingw(
      prng,
      [
        join(repository, "test/agent/wine/process-prng.c"),
        join(repository, "test/agent/wine/bcryptprimitives.def"),
      ],
      ["-shared", "-ladvapi32"],
    );
    expect(run(["wine", "wineboot", "--init"]).exitCode).toBe(0);
    // Windows waits 30 s for a service to connect; Wine's shorter default is missed by a 110 MB exe
    // starting on a loaded machine. services.exe reads the setting when it starts: restart it.
    const timeout = ["reg", "add", "HKLM\\System\\CurrentControlSet\\Control", "/v", "ServicesPipeTimeout"];
    expect(run(["wine", ...timeout, "/t", "REG_DWORD", "/d", "120000", "/f"]).exitCode).toBe(0);
    run(["wineserver", "-k"]);
    run(["wineserver", "-w"]);
    startWine();
    // The exe as install.ps1 leaves it in a temporary folder, and the stub where it is installed.
    const setup = join(driveC, "setup");
    mkdirSync(setup);
    copyFileSync(exeBuilt, join(setup, "redflag-agent-windows-x64.exe"));
    copyFileSync(prng, join(setup, "bcryptprimitives.dll"));
    mkdirSync(join(driveC, "Program Files/RedFlag"), { recursive: true });
    copyFileSync(prng, join(driveC, "Program Files/RedFlag/bcryptprimitives.dll"));
    const setupExe = "C:\\setup\\redflag-agent-windows-x64.exe";
    const log = join(driveC, "ProgramData/RedFlag/agent.log");
    const readLog = () => (existsSync(log) ? readFileSync(log, "utf8") : "");
    const serviceState = () =>
      /STATE\s+:\s+(\d+)/.exec(run(["wine", "sc", "query", "RedFlagAgent"]).stdout)?.[1];
    const startsInLog = () => readLog().match(/Running as the RedFlagAgent service/g)?.length ?? 0;

    // Install: the exe copied to Program Files, registered, the service created and running.
    const registration = await admin.registrationTokens.create.mutate({ label: "windows service", seats: 1 });
    const installed = run([
      "wine",
      setupExe,
      "--install-service",
      "--server",
      server.url,
      "--token",
      registration.token,
    ]);
    // Wine's service manager lacks FailureActionsOnNonCrashFailures (Windows has it since Vista).
    expect(installed.stderr).toContain(
      "redflag-agent: warning: this service manager does not take failure actions on a non-zero exit (FailureActionsOnNonCrashFailures)\n",
    );
    expect(installed.stderr).not.toContain("failed");
    expect(installed.exitCode).toBe(0);
    expect(installed.stdout).toContain("Installed: C:\\Program Files\\RedFlag\\redflag-agent.exe\n");
    const agentId = /Registered as (agt_\w+) with /.exec(installed.stdout)?.[1] ?? "";
    expect(agentId).toStartWith("agt_");
    expect(installed.stdout).toContain("Service RedFlagAgent created and started");
    expect(
      readFileSync(join(driveC, "Program Files/RedFlag/redflag-agent.exe")).equals(readFileSync(exeBuilt)),
    ).toBe(true);
    expect(serviceState()).toBe("4");
    // The service's own daemon (not the installer) checks in with the server.
    await waitFor(
      "the service's check-in",
      async () => (await admin.agents.get.query({ agentId })).lastCheckInAt,
      120_000,
    );
    await waitFor("the daemon's start in the service log", () => readLog().includes(`started as ${agentId}`));
    expect(readLog()).toContain("Running as the RedFlagAgent service");

    // What the service manager was given, as its registry key holds it.
    const values = run([
      "wine",
      "reg",
      "query",
      "HKLM\\System\\CurrentControlSet\\Services\\RedFlagAgent",
    ]).stdout;
    expect(values).toContain(
      'REG_SZ    "C:\\Program Files\\RedFlag\\redflag-agent.exe" --service --config "C:\\ProgramData\\RedFlag\\config.json" --state-dir "C:\\ProgramData\\RedFlag"',
    );
    expect(values).toMatch(/ImagePath\s+REG_(EXPAND_)?SZ\s+"C:/);
    expect(values).toMatch(/Start\s+REG_DWORD\s+0x2\b/); // automatic
    expect(values).toMatch(/ObjectName\s+REG_SZ\s+LocalSystem\b/);
    expect(values).toMatch(/DisplayName\s+REG_SZ\s+RedFlag Agent\b/);
    expect(values).toMatch(/Description\s+REG_SZ\s+Finds pending updates/);

    // A stop from the service manager ends the daemon cleanly.
    const stopped = run(["wine", "net", "stop", "RedFlagAgent"]);
    expect(stopped.stdout).toContain("The RedFlag Agent service was stopped successfully.");
    expect(serviceState()).toBe("1");
    expect(readLog()).toContain("The service manager asked the agent to stop (control 1)");
    expect(readLog()).toMatch(/Stopped\n$/);
    expect(run(["wine", "sc", "query", "RedFlagAgent"]).stdout).toMatch(/WIN32_EXIT_CODE\s+:\s+0 /);

    // "Reboot": Wine's services.exe starts again and starts every automatic service.
    const startsBeforeBoot = startsInLog();
    run(["wineserver", "-k"]);
    run(["wineserver", "-w"]);
    startWine();
    await waitFor(
      "RedFlagAgent running after the restart of services.exe",
      () => serviceState() === "4",
      120_000,
    );
    await waitFor("a new start in the log", () => startsInLog() === startsBeforeBoot + 1);

    // Running again upgrades in place: stopped, replaced, same registration, started.
    const upgraded = run(["wine", setupExe, "--install-service", "--server", server.url]);
    expect(upgraded.exitCode).toBe(0);
    expect(upgraded.stdout).toContain("Stopped the RedFlagAgent service\n");
    expect(upgraded.stdout).toContain("Upgraded: C:\\Program Files\\RedFlag\\redflag-agent.exe\n");
    expect(upgraded.stdout).toContain(`Kept the registration as ${agentId} with ${server.url}\n`);
    expect(upgraded.stdout).toContain("Service RedFlagAgent updated and started");
    expect(serviceState()).toBe("4");
    expect((await admin.agents.list.query({})).total).toBe(1);

    // --service run by hand, not by the service manager: refused, with the reason on stderr.
    const byHand = run([
      "wine",
      "C:\\Program Files\\RedFlag\\redflag-agent.exe",
      "--service",
      "--config",
      "C:\\ProgramData\\RedFlag\\config.json",
      "--state-dir",
      "C:\\ProgramData\\RedFlag",
    ]);
    expect(byHand.stderr).toContain("not started by the Windows service manager");
    expect(byHand.exitCode).toBe(1);
    expect(serviceState()).toBe("4");

    // A daemon that ends with an error (here: no registration) is reported as a service-specific
    // failure with its exit code, which Windows' recovery acts on (Wine's does not: see the report).
    expect(run(["wine", "net", "stop", "RedFlagAgent"]).stdout).toContain("stopped successfully");
    const config = join(driveC, "ProgramData/RedFlag/config.json");
    renameSync(config, `${config}.saved`);
    run(["wine", "net", "start", "RedFlagAgent"]);
    await waitFor("the failed start to be reported", () =>
      readLog().includes("The daemon ended with exit code 3"),
    );
    await waitFor("RedFlagAgent stopped", () => serviceState() === "1");
    const failed = run(["wine", "sc", "query", "RedFlagAgent"]).stdout;
    expect(failed).toMatch(/WIN32_EXIT_CODE\s+:\s+1066 /); // ERROR_SERVICE_SPECIFIC_ERROR
    expect(failed).toMatch(/SERVICE_EXIT_CODE\s+:\s+3 /); // not registered
    expect(readLog()).toContain("This agent is not registered");
    renameSync(`${config}.saved`, config);
    expect(run(["wine", "net", "start", "RedFlagAgent"]).stdout).toContain("started successfully");
    expect(serviceState()).toBe("4");

    // Uninstall with --purge: the service, the exe and ProgramData\RedFlag are gone; again is a no-op.
    const removed = run(["wine", setupExe, "--uninstall-service", "--purge"]);
    expect(removed.stderr).toBe("");
    expect(removed.exitCode).toBe(0);
    expect(removed.stdout).toContain("Stopped the RedFlagAgent service\n");
    expect(removed.stdout).toContain("Removed the RedFlagAgent service\n");
    expect(removed.stdout).toContain("Removed C:\\Program Files\\RedFlag\\redflag-agent.exe\n");
    expect(run(["wine", "sc", "query", "RedFlagAgent"]).stdout).not.toContain("RedFlagAgent");
    expect(existsSync(join(driveC, "Program Files/RedFlag/redflag-agent.exe"))).toBe(false);
    expect(existsSync(join(driveC, "ProgramData/RedFlag"))).toBe(false);
    const again = run(["wine", setupExe, "--uninstall-service", "--purge"]);
    expect(again.exitCode).toBe(0);
  }, 900_000);
});
