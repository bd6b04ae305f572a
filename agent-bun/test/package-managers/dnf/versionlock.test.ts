import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isLockedAway, parseVersionlockList } from "../../../src/package-managers/dnf/index.ts";
import { createDnfInstaller } from "../../../src/package-managers/dnf/installer.ts";
import { createDnfScanner } from "../../../src/package-managers/dnf/scanner.ts";
import { agentConfig, targetFor } from "../../helpers/agent-config.ts";
import { DnfSandbox } from "./dnf-sandbox.ts";

// Real dnf4 with dnf-plugins-core's versionlock plugin (Debian packages dnf, dnf-plugins-core,
// createrepo-c, rpm) on an isolated root whose lock list is its own.

const fixture = (name: string) => readFileSync(join(import.meta.dir, "fixtures", name), "utf8");

describe("dnf versionlock list", () => {
  test("locks and excludes of real dnf4 output; the repository line is noise", () => {
    const locks = parseVersionlockList({
      exitCode: 0,
      stdout: fixture("versionlock-list-dnf4.txt"),
      stderr: "",
    });
    expect(locks.map((lock) => lock.exclude)).toEqual([false, true]);
    // rf-locked is kept at 1.0-1: its 1.1 is held, 1.0 is not.
    expect(isLockedAway(locks, "rf-locked", "1.1-1", "noarch")).toBe(true);
    expect(isLockedAway(locks, "rf-locked", "1.0-1", "noarch")).toBe(false);
    // rf-excluded may have anything but 1.1-1.
    expect(isLockedAway(locks, "rf-excluded", "1.1-1", "noarch")).toBe(true);
    expect(isLockedAway(locks, "rf-excluded", "1.2-1", "noarch")).toBe(false);
    // Packages no entry names are free; an epoch other than the lock's is another version.
    expect(isLockedAway(locks, "rf-free", "1.1-1", "noarch")).toBe(false);
    expect(isLockedAway(locks, "rf-locked", "1:1.0-1", "noarch")).toBe(true);
  });

  test("no versionlock plugin is no lock, not an error; output that is not a lock list is unrecognized", () => {
    expect(
      parseVersionlockList({ exitCode: 1, stdout: "", stderr: fixture("versionlock-missing-dnf4.txt") }),
    ).toEqual([]);
    expect(parseVersionlockList({ exitCode: 0, stdout: "", stderr: "" })).toEqual([]);
    expect(() =>
      parseVersionlockList({ exitCode: 0, stdout: "Package name: rf-locked\nevr = 1.0-1\n", stderr: "" }),
    ).toThrow(expect.objectContaining({ kind: "unrecognized", operation: "dnf versionlock list" }));
    expect(() =>
      parseVersionlockList({ exitCode: 1, stdout: "", stderr: "Error: rpmdb open failed\n" }),
    ).toThrow(expect.objectContaining({ kind: "failed" }));
  });
});

let sandbox: DnfSandbox;

beforeAll(() => {
  sandbox = new DnfSandbox();
  sandbox.seed(
    sandbox.add({ name: "rf-locked", version: "1.0" }),
    sandbox.add({ name: "rf-excluded", version: "1.0" }),
    sandbox.add({ name: "rf-free", version: "1.0" }),
  );
  for (const name of ["rf-locked", "rf-excluded", "rf-free"]) sandbox.add({ name, version: "1.1" });
  sandbox.publish();
  sandbox.enableVersionlock();
  sandbox.dnf("versionlock", "add", "rf-locked");
  sandbox.dnf("versionlock", "exclude", "rf-excluded-1.1-1.noarch");
}, 180_000);
afterAll(() => sandbox?.remove());

describe("held by dnf versionlock, on real dnf", () => {
  test("dnf itself hides the locked updates; the scan still reports them, marked held", async () => {
    // What dnf says with the plugin on (check-update exits 100 when it lists updates).
    const checkUpdate = (() => {
      try {
        return sandbox.dnf("check-update");
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(checkUpdate).toContain("rf-free.noarch");
    expect(checkUpdate).not.toContain("rf-locked");
    expect(checkUpdate).not.toContain("rf-excluded");
    const items = await createDnfScanner(agentConfig({ dnf: sandbox.agentConfig })).scan();
    expect(
      items.map((item) => [item.packageName, item.currentVersion, item.availableVersion, item.held]),
    ).toEqual([
      ["rf-excluded", "1.0-1", "1.1-1", true],
      ["rf-free", "1.0-1", "1.1-1", false],
      ["rf-locked", "1.0-1", "1.1-1", true],
    ]);
  });

  test("installing a locked update fails saying so and changes nothing of it; the free one installs", async () => {
    const config = agentConfig({ dnf: sandbox.agentConfig });
    const items = await createDnfScanner(config).scan();
    const targets = items
      .filter((item) => item.packageName !== "rf-excluded")
      .map((item) => targetFor("dnf", item));
    const result = await createDnfInstaller(config).install(targets, () => {});
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.message])).toEqual([
      [
        "failed",
        "rf-locked is held on the host (dnf versionlock); remove the lock there (dnf versionlock delete rf-locked) to install this update",
      ],
      ["installed", ""],
    ]);
    expect(sandbox.installed("rf-locked")).toBe("1.0-1");
    expect(sandbox.installed("rf-free")).toBe("1.1-1");
  });
});
