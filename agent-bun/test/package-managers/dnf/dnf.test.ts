import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createDnfInstaller } from "../../../src/package-managers/dnf/installer.ts";
import { createDnfScanner } from "../../../src/package-managers/dnf/scanner.ts";
import { agentConfig, recordProgress, statuses, targetFor } from "../../helpers/agent-config.ts";
import { DnfSandbox } from "./dnf-sandbox.ts";

// Builds packages and repositories with the real tools: more than a hook's default 5 s on a busy machine.
const setUpTimeout = 180_000;

// Real dnf4 and rpm (Debian packages dnf, dnf-plugins-core, createrepo-c, rpm) on an isolated root
// with a repository built here; the machine's own rpm database is never touched.

let sandbox: DnfSandbox;

beforeAll(() => {
  sandbox = new DnfSandbox();
  sandbox.seed(
    sandbox.add({ name: "rf-normal", version: "1.0" }),
    sandbox.add({ name: "rf-openssl", version: "3.0", epoch: 1 }),
  );
  sandbox.add({ name: "rf-normal", version: "1.1" });
  sandbox.add({ name: "rf-openssl", version: "3.1", epoch: 1 });
  sandbox.addAdvisory({
    id: "RFSA-2026:0101",
    type: "security",
    severity: "Critical",
    title: "rf-openssl security update",
    cves: ["CVE-2026-10001", "CVE-2026-10002"],
    packages: [{ name: "rf-openssl", version: "3.1", epoch: 1 }],
  });
  sandbox.publish();
}, setUpTimeout);

afterAll(() => sandbox?.remove());

describe("the DNF scanner and installer on real dnf", () => {
  test("scan, dry run, install, verify, roll back", async () => {
    const config = agentConfig({ dnf: sandbox.agentConfig });
    const scanner = createDnfScanner(config);
    expect(await scanner.isAvailable()).toBe(true);
    const items = await scanner.scan();
    const byName = new Map(items.map((item) => [item.packageName, item]));
    expect([...byName.keys()].sort()).toEqual(["rf-normal", "rf-openssl"]);
    expect(byName.get("rf-openssl")).toEqual({
      packageName: "rf-openssl",
      target: "noarch",
      currentVersion: "1:3.0-1",
      availableVersion: "1:3.1-1",
      severity: "critical",
      security: true,
      cves: ["CVE-2026-10001", "CVE-2026-10002"],
      source: "redflag-test",
      sizeBytes: null,
      held: false,
      metadata: {
        advisories: [{ id: "RFSA-2026:0101", type: "security", severity: "critical" }],
        nevra: "rf-openssl-1:3.1-1.noarch",
        installedNevra: "rf-openssl-1:3.0-1.noarch",
      },
    });
    expect(byName.get("rf-normal")).toMatchObject({
      currentVersion: "1.0-1",
      availableVersion: "1.1-1",
      security: false,
      severity: "unknown",
      cves: [],
    });
    expect(await scanner.rebootStatus()).toEqual({ required: false, reasons: [] });

    const installer = createDnfInstaller(config);
    const targets = items.map((item) => targetFor("dnf", item));
    const plan = await installer.dryRun(targets);
    expect(plan.changes.sort((a, b) => a.packageName.localeCompare(b.packageName))).toEqual([
      { action: "upgrade", packageName: "rf-normal", currentVersion: "1.0-1", newVersion: "1.1-1" },
      { action: "upgrade", packageName: "rf-openssl", currentVersion: "1:3.0-1", newVersion: "1:3.1-1" },
    ]);
    expect(sandbox.installed("rf-normal")).toBe("1.0-1");

    const { progress, reports } = recordProgress();
    const result = await installer.install(targets, progress);
    expect(result.exitCode).toBe(0);
    expect(statuses(result.outcomes).sort()).toEqual(["installed 1.1-1", "installed 1:3.1-1"]);
    // The repository still offers both previous builds: the install says a rollback can work.
    expect(result.outcomes.map((outcome) => outcome.rollbackAvailable)).toEqual([true, true]);
    expect(sandbox.installed("rf-normal")).toBe("1.1-1");
    expect(sandbox.installed("rf-openssl")).toBe("1:3.1-1");
    expect(reports[0]?.message).toStartWith("Plan: upgrade");
    expect(reports.some((report) => report.message.startsWith("Upgrading rf-"))).toBe(true);
    expect(reports.at(-1)).toEqual({ percent: 100, message: "2 of 2 verified at the expected version" });
    expect(await scanner.scan()).toEqual([]);

    const rolledBack = await installer.rollback(targets, () => {});
    expect(statuses(rolledBack.outcomes).sort()).toEqual(["installed 1.0-1", "installed 1:3.0-1"]);
    expect(sandbox.installed("rf-normal")).toBe("1.0-1");
    expect(sandbox.installed("rf-openssl")).toBe("1:3.0-1");
  }, 120_000);

  test("a rollback to a version no repository offers fails with the reason, and nothing changes", async () => {
    const config = agentConfig({ dnf: sandbox.agentConfig });
    const [target] = (await createDnfScanner(config).scan())
      .filter((item) => item.packageName === "rf-normal")
      .map((item) => targetFor("dnf", { ...item, currentVersion: "0.9-1" }));
    if (target === undefined) throw new Error("rf-normal not offered");
    const result = await createDnfInstaller(config).rollback([target], () => {});
    expect(result.outcomes).toEqual([
      {
        updateId: target.updateId,
        status: "failed",
        installedVersion: null,
        message: "Cannot roll back to rf-normal-0.9-1.noarch: no enabled repository offers it any more",
      },
    ]);
    expect(sandbox.installed("rf-normal")).toBe("1.0-1");
  }, 60_000);

  test("names and versions that are not rpm's are refused before dnf runs", async () => {
    const installer = createDnfInstaller(agentConfig({ dnf: sandbox.agentConfig }));
    const bad = {
      updateId: "upd_00000000000000000000000000" as const,
      packageType: "dnf" as const,
      target: "noarch",
      currentVersion: null,
    };
    await expect(
      installer.dryRun([{ ...bad, packageName: "--setopt=x", availableVersion: "1-1" }]),
    ).rejects.toThrow("is not an rpm package name");
    await expect(
      installer.dryRun([{ ...bad, packageName: "rf-*", availableVersion: "1-1" }]),
    ).rejects.toThrow("is not an rpm package name");
    await expect(
      installer.dryRun([{ ...bad, packageName: "rf-normal", availableVersion: "1.1-1;reboot" }]),
    ).rejects.toThrow("is not an rpm version and arch");
  });
});
