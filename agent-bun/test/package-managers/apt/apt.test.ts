import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { CommandTarget } from "@redflag/contracts";
import { configFileSchema } from "../../../src/config/config.ts";
import { AgentError } from "../../../src/errors.ts";
import { createAptInstaller } from "../../../src/package-managers/apt/installer.ts";
import { createAptScanner } from "../../../src/package-managers/apt/scanner.ts";
import { AptSandbox, run } from "./apt-sandbox.ts";

// Builds packages and repositories with the real tools: more than a hook's default 5 s on a busy machine.
const setUpTimeout = 180_000;

/** Real apt and dpkg on an isolated root with repositories this test builds; no mocks. */
let sandbox: AptSandbox;

beforeAll(() => {
  sandbox = new AptSandbox([
    { name: "main", suite: "stable", label: "RedFlag Test", origin: "RedFlag" },
    { name: "security", suite: "oldstable-security", label: "Debian-Security", origin: "Debian" },
  ]);
  const seeds = [
    sandbox.addPackage("main", { name: "rf-lib++2.0", version: "1.0-1" }),
    sandbox.addPackage("security", { name: "rf-secure.tools", version: "2.0-1" }),
    sandbox.addPackage("main", { name: "rf-app", version: "1.0" }),
    sandbox.addPackage("main", { name: "rf-cacheonly", version: "1.0" }),
  ];
  sandbox.addPackage("main", { name: "rf-lib++2.0", version: "1:1.1~rc1-1" });
  sandbox.addPackage("security", { name: "rf-secure.tools", version: "2.0-1+deb12u1" });
  sandbox.addPackage("main", { name: "rf-newdep", version: "1.0" });
  sandbox.addPackage("main", {
    name: "rf-app",
    version: "1.1",
    depends: "rf-newdep",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable in the package's script
    postinst: 'touch "${DPKG_ROOT:-}/run/reboot-required"',
  });
  sandbox.publish("main");
  sandbox.publish("security");
  for (const seed of seeds) sandbox.seed(seed);
  // rf-cacheonly 1.0 leaves the repository: a rollback to it can only come from apt's cache, if at all.
  rmSync(join(sandbox.repositoryPath("main"), "rf-cacheonly_1.0_all.deb"));
  sandbox.addPackage("main", { name: "rf-cacheonly", version: "1.1" });
  sandbox.publish("main");
}, setUpTimeout);
afterAll(() => sandbox?.remove());

function config() {
  return configFileSchema.parse({
    apt: {
      configFile: sandbox.configFile,
      rebootRequiredFile: join(sandbox.fakeRoot, "run/reboot-required"),
    },
  });
}

function target(packageName: string, currentVersion: string, availableVersion: string): CommandTarget {
  return {
    updateId: `upd_${packageName
      .replace(/[^a-z0-9]/g, "")
      .padEnd(26, "0")
      .slice(0, 26)}`,
    packageType: "apt",
    packageName,
    target: "",
    currentVersion,
    availableVersion,
  };
}

describe("the APT scanner on an isolated root", () => {
  test("finds the normal and the security update with exact versions", async () => {
    const items = await createAptScanner(config()).scan();
    const summary = items.map((item) => [
      item.packageName,
      item.currentVersion,
      item.availableVersion,
      item.security,
      item.severity,
    ]);
    expect(summary).toEqual([
      ["rf-app", "1.0", "1.1", false, "low"],
      ["rf-cacheonly", "1.0", "1.1", false, "low"],
      ["rf-lib++2.0", "1.0-1", "1:1.1~rc1-1", false, "low"],
      ["rf-secure.tools", "2.0-1", "2.0-1+deb12u1", true, "important"],
    ]);
  });

  test("matches `apt list --upgradable` package for package, labelled from the Release files", async () => {
    const items = await createAptScanner(config()).scan();
    const listed = run(["apt", "list", "--upgradable"], { env: { APT_CONFIG: sandbox.configFile } })
      .split("\n")
      .filter((line) => line.includes("[upgradable from:"))
      .map((line) => line.split("/")[0] ?? "");
    expect(items.map((item) => item.packageName)).toEqual(listed);
    expect(items.map((item) => [item.packageName, item.source])).toEqual([
      ["rf-app", "RedFlag Test:stable"],
      ["rf-cacheonly", "RedFlag Test:stable"],
      ["rf-lib++2.0", "RedFlag Test:stable"],
      ["rf-secure.tools", "Debian-Security:oldstable-security"],
    ]);
  });

  test("a package held with `apt-mark hold` is still listed, marked held; the others are not", async () => {
    const held = new AptSandbox([
      { name: "main", suite: "stable", label: "RedFlag Test", origin: "RedFlag" },
    ]);
    try {
      held.seed(held.addPackage("main", { name: "rf-held", version: "1.0" }));
      held.seed(held.addPackage("main", { name: "rf-free", version: "1.0" }));
      held.addPackage("main", { name: "rf-held", version: "1.1" });
      held.addPackage("main", { name: "rf-free", version: "1.1" });
      held.publish("main");
      expect(held.apt(["apt-mark", "hold", "rf-held"]).trim()).toBe("rf-held set on hold.");
      expect(held.apt(["apt-mark", "showhold"]).trim()).toBe("rf-held");
      // What apt itself says: a held package stays in `apt list --upgradable`.
      held.apt(["apt-get", "update", "-q"]);
      expect(held.apt(["apt", "list", "--upgradable"])).toContain(
        "rf-held/stable 1.1 all [upgradable from: 1.0]",
      );
      const items = await createAptScanner(configFor(held)).scan();
      expect(
        items.map((item) => [item.packageName, item.currentVersion, item.availableVersion, item.held]),
      ).toEqual([
        ["rf-free", "1.0", "1.1", false],
        ["rf-held", "1.0", "1.1", true],
      ]);
      // A hold set the dpkg way (`dpkg --set-selections`) is the same selection state.
      held.apt(["apt-mark", "unhold", "rf-held"]);
      const selections = Bun.spawnSync(["dpkg", `--root=${held.fakeRoot}`, "--set-selections"], {
        stdin: new TextEncoder().encode("rf-free hold\n"),
      });
      expect(selections.exitCode).toBe(0);
      const again = await createAptScanner(configFor(held)).scan();
      expect(again.map((item) => [item.packageName, item.held])).toEqual([
        ["rf-free", true],
        ["rf-held", false],
      ]);
    } finally {
      held.remove();
    }
  });

  test("installing a held package fails saying so, installs nothing of it, and the others go ahead", async () => {
    const held = new AptSandbox([
      { name: "main", suite: "stable", label: "RedFlag Test", origin: "RedFlag" },
    ]);
    try {
      held.seed(held.addPackage("main", { name: "rf-held", version: "1.0" }));
      held.seed(held.addPackage("main", { name: "rf-free", version: "1.0" }));
      held.addPackage("main", { name: "rf-held", version: "1.1" });
      held.addPackage("main", { name: "rf-free", version: "1.1" });
      held.publish("main");
      held.apt(["apt-mark", "hold", "rf-held"]);
      held.apt(["apt-get", "update", "-q"]);
      const installer = createAptInstaller(configFor(held));
      const result = await installer.install(
        [target("rf-held", "1.0", "1.1"), target("rf-free", "1.0", "1.1")],
        () => {},
      );
      expect(result.outcomes.map((outcome) => [outcome.status, outcome.message])).toEqual([
        [
          "failed",
          "rf-held is held on the host (apt-mark hold); unhold it there (apt-mark unhold rf-held) to install this update",
        ],
        ["installed", ""],
      ]);
      expect(result.output).toContain("rf-held is held on the host (apt-mark hold)");
      expect(held.installedVersion("rf-held")).toBe("1.0");
      expect(held.installedVersion("rf-free")).toBe("1.1");
      // Only the held package: apt never runs.
      const alone = await installer.install([target("rf-held", "1.0", "1.1")], () => {});
      expect(alone).toMatchObject({ exitCode: null, outcomes: [{ status: "failed" }] });
      expect(alone.output).not.toContain("$ apt-get");
      expect(held.installedVersion("rf-held")).toBe("1.0");
    } finally {
      held.remove();
    }
  });

  test("apt-get update errors are surfaced, not ignored", async () => {
    const broken = new AptSandbox([{ name: "gone", suite: "stable", label: "Gone", origin: "Gone" }]);
    try {
      rmSync(broken.repositoryPath("gone"), { recursive: true });
      const error = await createAptScanner(configFor(broken))
        .scan()
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AgentError);
      expect(error).toMatchObject({ source: "apt", kind: "failed", retryable: true });
      expect((error as AgentError).message).toMatch(/^apt-get update: failed \(exit 100\)/);
    } finally {
      broken.remove();
    }
  });
});

describe("apt's locks", () => {
  test("a scan while another process holds apt's list lock waits for it, then succeeds", async () => {
    const holder = holdLock(join(sandbox.directory, "lists", "lock"));
    try {
      await holder.locked;
      const scanning = createAptScanner(configFor(sandbox, 60)).scan();
      let finished = false;
      void scanning.then(() => {
        finished = true;
      });
      // apt-get update has already failed on the lock at least once by the time the holder lets go.
      await holder.release(1500);
      expect(finished).toBe(false);
      const items = await scanning;
      expect(items.map((item) => item.packageName)).toContain("rf-app");
    } finally {
      holder.kill();
    }
  });

  test("a lock held past the timeout fails the scan as `locked`, worth retrying", async () => {
    const holder = holdLock(join(sandbox.directory, "lists", "lock"));
    try {
      await holder.locked;
      const error = await createAptScanner(configFor(sandbox, 1))
        .scan()
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AgentError);
      expect(error).toMatchObject({ source: "apt", kind: "locked", retryable: true });
      expect((error as AgentError).message).toContain("locked by another process, will retry");
    } finally {
      holder.kill();
    }
  });
});

/** Holds an fcntl lock on `path` the way apt and dpkg do, in another process, until released. */
function holdLock(path: string) {
  const child = Bun.spawn(
    [
      "python3",
      "-c",
      "import fcntl,os,sys\nfd=os.open(sys.argv[1],os.O_RDWR|os.O_CREAT)\nfcntl.lockf(fd,fcntl.LOCK_EX)\nprint('locked',flush=True)\nsys.stdin.readline()",
      path,
    ],
    { stdin: "pipe", stdout: "pipe", stderr: "inherit" },
  );
  const locked = (async () => {
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    if (!new TextDecoder().decode(value).includes("locked")) throw new Error("the lock holder did not start");
  })();
  return {
    locked,
    /** Lets go of the lock after `afterMs`, and waits until the holder has exited. */
    async release(afterMs: number) {
      await new Promise((resolve) => setTimeout(resolve, afterMs));
      child.stdin.write("\n");
      await child.stdin.end();
      await child.exited;
    },
    kill: () => child.kill(),
  };
}

function configFor(other: AptSandbox, lockTimeoutSeconds = 300) {
  return configFileSchema.parse({ apt: { configFile: other.configFile, lockTimeoutSeconds } });
}

describe("the APT installer on an isolated root", () => {
  test("a dry run shows the dependency it would install, and changes nothing", async () => {
    const plan = await createAptInstaller(config()).dryRun([target("rf-app", "1.0", "1.1")]);
    expect(plan.changes).toEqual([
      { action: "install", packageName: "rf-newdep", currentVersion: null, newVersion: "1.0" },
      { action: "upgrade", packageName: "rf-app", currentVersion: "1.0", newVersion: "1.1" },
    ]);
    expect(sandbox.installedVersion("rf-app")).toBe("1.0");
    expect(sandbox.installedVersion("rf-newdep")).toBeNull();
  });

  test("installs a batch for real, with progress, verified against the dpkg database", async () => {
    const progress: { percent: number | null; message: string }[] = [];
    const result = await createAptInstaller(config()).install(
      [target("rf-app", "1.0", "1.1"), target("rf-secure.tools", "2.0-1", "2.0-1+deb12u1")],
      (percent, message) => progress.push({ percent, message }),
    );
    expect(result.exitCode).toBe(0);
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.installedVersion])).toEqual([
      ["installed", "1.1"],
      ["installed", "2.0-1+deb12u1"],
    ]);
    // Both previous versions are still in the repositories: a rollback can work.
    expect(result.outcomes.map((outcome) => outcome.rollbackAvailable)).toEqual([true, true]);
    expect(sandbox.installedVersion("rf-app")).toBe("1.1");
    expect(sandbox.installedVersion("rf-newdep")).toBe("1.0");
    expect(sandbox.installedVersion("rf-secure.tools")).toBe("2.0-1+deb12u1");
    expect(progress[0]?.message).toContain("Plan: install rf-newdep 1.0; upgrade rf-app 1.0 → 1.1");
    expect(progress.some((entry) => entry.message.includes("Installed rf-app"))).toBe(true);
    expect(Math.max(...progress.map((entry) => entry.percent ?? 0))).toBe(100);
    // rf-app's postinst asked for a reboot, in the fake root.
    expect((await createAptScanner(config()).rebootStatus()).required).toBe(true);
  });

  test("a version the repository does not offer fails clearly and installs nothing", async () => {
    await expect(
      createAptInstaller(config()).install([target("rf-lib++2.0", "1.0-1", "9.9")], () => {}),
    ).rejects.toThrow(/9\.9/);
    expect(sandbox.installedVersion("rf-lib++2.0")).toBe("1.0-1");
  });

  test("refuses names and versions that break Debian's rules before apt sees them", async () => {
    const installer = createAptInstaller(config());
    await expect(installer.install([target("--reinstall", "1", "2")], () => {})).rejects.toThrow(
      /invalid Debian package name/,
    );
    await expect(installer.install([target("rf-app", "1.0", "1.1 ; reboot")], () => {})).rejects.toThrow(
      /invalid Debian version/,
    );
  });

  test("rolls back to the previous version while the repository still has it", async () => {
    const result = await createAptInstaller(config()).rollback([target("rf-app", "1.0", "1.1")], () => {});
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.installedVersion])).toEqual([
      ["installed", "1.0"],
    ]);
    expect(sandbox.installedVersion("rf-app")).toBe("1.0");
  });

  test("rolls back from apt's cache, and says clearly when neither has the version", async () => {
    const installer = createAptInstaller(config());
    const installed = await installer.install([target("rf-cacheonly", "1.0", "1.1")], () => {});
    expect(sandbox.installedVersion("rf-cacheonly")).toBe("1.1");
    // The install already says that 1.0 can no longer be installed: the dashboard offers no rollback.
    expect(installed.outcomes.map((outcome) => outcome.rollbackAvailable)).toEqual([false]);
    const missing = await installer.rollback([target("rf-cacheonly", "1.0", "1.1")], () => {});
    expect(missing.outcomes[0]?.status).toBe("failed");
    expect(missing.outcomes[0]?.message).toBe(
      "Cannot roll back rf-cacheonly to 1.0: that version is in no configured repository and not in apt's package cache",
    );
    expect(sandbox.installedVersion("rf-cacheonly")).toBe("1.1");
    // Put the old package file in apt's cache, as an earlier download would have.
    const archives = join(sandbox.directory, "cache", "archives");
    sandbox.buildPackage({ name: "rf-cacheonly", version: "1.0" }, archives);
    expect(existsSync(join(archives, "rf-cacheonly_1.0_all.deb"))).toBe(true);
    const fromCache = await installer.rollback([target("rf-cacheonly", "1.0", "1.1")], () => {});
    expect(fromCache.outcomes.map((outcome) => [outcome.status, outcome.installedVersion])).toEqual([
      ["installed", "1.0"],
    ]);
    expect(sandbox.installedVersion("rf-cacheonly")).toBe("1.0");
  });
});
