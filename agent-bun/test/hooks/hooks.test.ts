import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandTarget } from "@redflag/contracts";
import { configFileSchema } from "../../src/config/config.ts";
import { readEnvironment } from "../../src/environment.ts";
import { changeWithHooks, refusedByPreReboot } from "../../src/hooks/around-commands.ts";
import {
  describeHooks,
  findHookPrograms,
  type HookSettings,
  hookSettings,
  runHooks,
} from "../../src/hooks/hooks.ts";
import { createAptInstaller } from "../../src/package-managers/apt/installer.ts";
import { AptSandbox } from "../package-managers/apt/apt-sandbox.ts";

/**
 * Real hook programs (sh scripts with a shebang, run without a shell by the agent) in a real
 * directory with real owners and modes, around real installs on the isolated apt the apt tests use.
 */
const directories: string[] = [];
let sandbox: AptSandbox;

beforeAll(() => {
  sandbox = new AptSandbox([{ name: "main", suite: "stable", label: "RedFlag Test", origin: "RedFlag" }]);
  for (const name of ["rf-hooked", "rf-after"]) {
    sandbox.seed(sandbox.addPackage("main", { name, version: "1.0" }));
    sandbox.addPackage("main", { name, version: "1.1" });
  }
  sandbox.publish("main");
  sandbox.apt(["apt-get", "update", "-q"]);
}, 180_000);
afterAll(() => {
  sandbox?.remove();
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** A fresh hooks directory (mkdtemp: 0700, owned by the user running the tests). */
function hooksDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), "redflag-hooks-"));
  directories.push(directory);
  return directory;
}

function settings(hooks: string, timeoutSeconds = 600): HookSettings {
  return hookSettings(
    configFileSchema.parse({ hooks: { directory: hooks, timeoutSeconds } }),
    readEnvironment({}),
  );
}

function script(path: string, body: string, mode = 0o755) {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
}

function target(packageName: string): CommandTarget {
  return {
    updateId: `upd_${packageName.replace(/[^a-z0-9]/g, "").padEnd(26, "0")}`,
    packageType: "apt",
    packageName,
    target: "",
    currentVersion: "1.0",
    availableVersion: "1.1",
  };
}

const input = {
  commandId: "cmd_00000000000000000000000001",
  commandType: "install",
  packageType: "apt" as const,
};

describe("finding and running hooks", () => {
  test("a directory runs its programs in name order, run-parts style, with the plan on stdin and in the environment", async () => {
    const hooks = hooksDirectory();
    const log = join(hooks, "log");
    mkdirSync(join(hooks, "pre-install"), { mode: 0o755 });
    script(join(hooks, "pre-install", "20-second"), `echo second >> ${log}`);
    script(
      join(hooks, "pre-install", "10-first"),
      `echo "first $REDFLAG_HOOK $REDFLAG_COMMAND_TYPE $REDFLAG_PACKAGES" >> ${log}; cat > ${hooks}/stdin.json`,
    );
    // Not runnable names: an editor's backup, a packaging leftover, a README.
    script(join(hooks, "pre-install", "10-first~"), `echo backup >> ${log}`);
    script(join(hooks, "pre-install", "30-old.dpkg-old"), `echo dpkg-old >> ${log}`);
    writeFileSync(join(hooks, "pre-install", "README.md"), "hooks\n");
    const result = await runHooks(
      "pre-install",
      { ...input, targets: [target("rf-hooked"), target("rf-after")] },
      settings(hooks),
    );
    expect(result.ok).toBe(true);
    expect(result.runs.map((run) => [run.program.split("/").pop(), run.exitCode])).toEqual([
      ["10-first", 0],
      ["20-second", 0],
    ]);
    expect(readFileSync(log, "utf8")).toBe("first pre-install install rf-hooked rf-after\nsecond\n");
    const stdin = JSON.parse(readFileSync(join(hooks, "stdin.json"), "utf8"));
    expect(stdin).toMatchObject({
      hook: "pre-install",
      commandId: input.commandId,
      commandType: "install",
      packageType: "apt",
      targets: [
        { packageName: "rf-hooked", currentVersion: "1.0", availableVersion: "1.1" },
        { packageName: "rf-after", currentVersion: "1.0", availableVersion: "1.1" },
      ],
    });
  });

  test("no hooks directory, or no hook of that name: nothing runs and nothing fails", async () => {
    const hooks = hooksDirectory();
    expect(
      await runHooks("pre-reboot", { ...input, targets: [] }, settings(join(hooks, "absent"))),
    ).toMatchObject({
      ok: true,
      runs: [],
    });
    expect(await runHooks("pre-reboot", { ...input, targets: [] }, settings(hooks))).toMatchObject({
      ok: true,
      runs: [],
    });
  });

  test("unsafe hooks are refused and never run: writable by group or others, owned by another user, not executable", async () => {
    const hooks = hooksDirectory();
    const marker = join(hooks, "ran");
    const pre = join(hooks, "pre-install");
    const cases: [string, () => void, RegExp][] = [
      [
        "group-writable file",
        () => script(pre, `touch ${marker}`, 0o775),
        /writable by group or others \(mode 0775\): not run/,
      ],
      [
        "world-writable file",
        () => script(pre, `touch ${marker}`, 0o757),
        /writable by group or others \(mode 0757\): not run/,
      ],
      [
        "another owner",
        () => {
          script(pre, `touch ${marker}`);
          chownSync(pre, 12345, 0);
        },
        /owned by uid 12345, not by root or the agent's user: not run/,
      ],
      [
        "not executable",
        () => script(pre, `touch ${marker}`, 0o644),
        /is not executable \(chmod 0755 it\): not run/,
      ],
    ];
    for (const [what, setUp, message] of cases) {
      rmSync(pre, { force: true });
      setUp();
      const result = await runHooks("pre-install", { ...input, targets: [] }, settings(hooks));
      expect([what, result.ok, result.failure?.refused]).toEqual([
        what,
        false,
        expect.stringMatching(message),
      ]);
      expect(result.report).toMatch(message);
      expect(existsSync(marker)).toBe(false);
    }
    // A safe hook in a directory others may write to is refused too: its programs could be swapped.
    rmSync(pre, { force: true });
    mkdirSync(pre);
    chmodSync(pre, 0o777);
    script(join(pre, "10-check"), `touch ${marker}`);
    const inOpenDirectory = await runHooks("pre-install", { ...input, targets: [] }, settings(hooks));
    expect(inOpenDirectory.failure?.refused).toMatch(
      /pre-install is writable by group or others \(mode 0777\)/,
    );
    chmodSync(hooks, 0o775);
    chmodSync(pre, 0o755);
    const inOpenRoot = await runHooks("pre-install", { ...input, targets: [] }, settings(hooks));
    expect(inOpenRoot.failure?.refused).toMatch(/writable by group or others \(mode 0775\)/);
    expect(existsSync(marker)).toBe(false);
  });

  test("on Windows a hook is `<name>.exe` or a directory of `.exe` files, in name order", () => {
    const hooks = hooksDirectory();
    const windows = { ...settings(hooks), platform: "win32" as const, uid: null };
    writeFileSync(join(hooks, "pre-reboot.exe"), "MZ");
    mkdirSync(join(hooks, "pre-install"));
    for (const name of ["20-notify.exe", "10-check.exe", "README.txt", "30-script.ps1"]) {
      writeFileSync(join(hooks, "pre-install", name), "MZ");
    }
    expect(findHookPrograms("pre-reboot", windows)).toEqual({
      programs: [join(hooks, "pre-reboot.exe")],
      refused: null,
    });
    expect(
      findHookPrograms("pre-install", windows).programs.map((program) => program.split("/").pop()),
    ).toEqual(["10-check.exe", "20-notify.exe"]);
    expect(findHookPrograms("post-install", windows)).toEqual({ programs: [], refused: null });
  });

  test("a hook that runs past the timeout is stopped and fails", async () => {
    const hooks = hooksDirectory();
    script(join(hooks, "pre-reboot"), "echo waiting\nexec sleep 60");
    const started = Date.now();
    const result = await runHooks("pre-reboot", { ...input, targets: [] }, settings(hooks, 1));
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result).toMatchObject({ ok: false, failure: { timedOut: true, output: "waiting" } });
    expect(result.report).toContain("did not finish in 1 s and was stopped");
  });
});

describe("hooks around a real install", () => {
  test("a failing pre-install hook stops the install before apt runs: the package is not installed, the hook's output is the outcome", async () => {
    const hooks = hooksDirectory();
    script(join(hooks, "pre-install"), 'echo "maintenance window closed for $REDFLAG_PACKAGES" >&2\nexit 3');
    script(join(hooks, "post-install"), `touch ${hooks}/post-ran`);
    const targets = [target("rf-hooked")];
    const result = await changeWithHooks({
      commandId: input.commandId,
      commandType: "install",
      packageType: "apt",
      targets,
      settings: settings(hooks),
      progress: () => {},
      change: () =>
        createAptInstaller(configFileSchema.parse({ apt: { configFile: sandbox.configFile } })).install(
          targets,
          () => {},
        ),
    });
    const message = `Not installed: the pre-install hook ${join(hooks, "pre-install")} exited with 3: maintenance window closed for rf-hooked`;
    expect(result.outcomes).toEqual([
      { updateId: target("rf-hooked").updateId, status: "failed", installedVersion: null, message },
    ]);
    expect(result.exitCode).toBe(3);
    expect(result.output).toBe(
      `pre-install hook ${join(hooks, "pre-install")} exited with 3\nmaintenance window closed for rf-hooked`,
    );
    expect(sandbox.installedVersion("rf-hooked")).toBe("1.0");
    expect(existsSync(join(hooks, "post-ran"))).toBe(false);
  });

  test("post-install sees the outcome; its failure is in the output and does not change the install's outcome", async () => {
    const hooks = hooksDirectory();
    mkdirSync(join(hooks, "post-install"), { mode: 0o755 });
    script(
      join(hooks, "post-install", "10-record"),
      `cat > ${hooks}/outcome.json; echo "$REDFLAG_OUTCOME" > ${hooks}/env`,
    );
    script(join(hooks, "post-install", "20-notify"), 'echo "notifier unreachable"\nexit 7');
    const targets = [target("rf-after")];
    const result = await changeWithHooks({
      commandId: input.commandId,
      commandType: "install",
      packageType: "apt",
      targets,
      settings: settings(hooks),
      progress: () => {},
      change: () =>
        createAptInstaller(configFileSchema.parse({ apt: { configFile: sandbox.configFile } })).install(
          targets,
          () => {},
        ),
    });
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.installedVersion])).toEqual([
      ["installed", "1.1"],
    ]);
    expect(sandbox.installedVersion("rf-after")).toBe("1.1");
    expect(result.output).toContain(
      `post-install hook ${join(hooks, "post-install", "10-record")} exited with 0`,
    );
    expect(result.output).toContain(
      `post-install hook ${join(hooks, "post-install", "20-notify")} exited with 7\nnotifier unreachable`,
    );
    const outcome = JSON.parse(readFileSync(join(hooks, "outcome.json"), "utf8"));
    expect(outcome).toMatchObject({
      hook: "post-install",
      outcome: {
        status: "succeeded",
        exitCode: 0,
        items: [{ status: "installed", installedVersion: "1.1" }],
      },
    });
    expect(readFileSync(join(hooks, "env"), "utf8")).toBe("succeeded\n");
  });
});

describe("hooks around a rollback", () => {
  test("a rollback runs the same pre-install hook, told it is a rollback; its failure stops it", async () => {
    const hooks = hooksDirectory();
    script(
      join(hooks, "pre-install"),
      `cat > ${hooks}/input.json\necho "no rollbacks of $REDFLAG_PACKAGES on $REDFLAG_COMMAND_TYPE day"\nexit 2`,
    );
    const targets = [target("rf-after")];
    let changed = false;
    const result = await changeWithHooks({
      commandId: input.commandId,
      commandType: "rollback",
      packageType: "apt",
      targets,
      settings: settings(hooks),
      progress: () => {},
      change: async () => {
        changed = true;
        return { outcomes: [], output: "", exitCode: 0 };
      },
    });
    expect(changed).toBe(false);
    expect(result.outcomes.map((outcome) => outcome.message)).toEqual([
      `Not rolled back: the pre-install hook ${join(hooks, "pre-install")} exited with 2: no rollbacks of rf-after on rollback day`,
    ]);
    expect(JSON.parse(readFileSync(join(hooks, "input.json"), "utf8"))).toMatchObject({
      commandType: "rollback",
    });
  });
});

describe("pre-reboot", () => {
  test("a non-zero pre-reboot hook stops the reboot with its output; exit 0 lets it go ahead", async () => {
    const hooks = hooksDirectory();
    script(
      join(hooks, "pre-reboot"),
      'echo "database backup still running"\necho "see /var/log/backup" >&2\nexit 1',
    );
    const refused = await refusedByPreReboot(input.commandId, settings(hooks));
    expect(refused).toEqual({
      status: "failed",
      exitCode: 1,
      output: `Not rebooted: the pre-reboot hook ${join(hooks, "pre-reboot")} exited with 1: database backup still running\nsee /var/log/backup\npre-reboot hook ${join(hooks, "pre-reboot")} exited with 1\ndatabase backup still running\nsee /var/log/backup`,
      items: [],
      result: {},
    });
    script(join(hooks, "pre-reboot"), "exit 0");
    expect(await refusedByPreReboot(input.commandId, settings(hooks))).toBeNull();
  });
});

describe("--status", () => {
  test("names the hooks directory and the hooks that would run, or why one is refused", () => {
    const hooks = hooksDirectory();
    const config = configFileSchema.parse({ hooks: { directory: hooks } });
    expect(describeHooks(config, readEnvironment({}))).toBe(`${hooks}: none`);
    mkdirSync(join(hooks, "pre-install"));
    script(join(hooks, "pre-install", "10-a"), "true");
    script(join(hooks, "pre-install", "20-b"), "true");
    script(join(hooks, "pre-reboot"), "true", 0o777);
    expect(describeHooks(config, readEnvironment({}))).toBe(
      `${hooks}: pre-install (2), pre-reboot refused (${join(hooks, "pre-reboot")} is writable by group or others (mode 0777): not run)`,
    );
  });
});
