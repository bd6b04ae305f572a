import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { maxRebootReasons } from "@redflag/contracts";
import { collectRebootStatus } from "../../src/lifecycle/reboot-status.ts";
import {
  aptRebootStatus,
  parseRebootRequiredPackages,
} from "../../src/package-managers/apt/reboot-required.ts";
import { needsRestartingReasons, parseNeedsRestarting } from "../../src/package-managers/dnf/index.ts";
import type { RebootStatus, Scanner } from "../../src/package-managers/package-manager.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dir, "fixtures", name), "utf8");
const directory = mkdtempSync(join(tmpdir(), "redflag-reboot-status-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function scannerSaying(status: RebootStatus): Scanner {
  return {
    packageType: "apt",
    isAvailable: async () => true,
    scan: async () => [],
    rebootStatus: async () => status,
  };
}

describe("why a reboot is required", () => {
  test("apt: the packages in reboot-required.pkgs, once each; the flag alone when there is no list", () => {
    expect(parseRebootRequiredPackages(fixture("reboot-required.pkgs.txt"))).toEqual([
      "linux-image-6.1.0-28-amd64",
      "libc6",
      "dbus",
    ]);
    const flag = join(directory, "reboot-required");
    expect(aptRebootStatus(flag)).toEqual({ required: false, reasons: [] });
    writeFileSync(flag, fixture("reboot-required.txt"));
    expect(aptRebootStatus(flag)).toEqual({ required: true, reasons: [flag] });
    writeFileSync(`${flag}.pkgs`, fixture("reboot-required.pkgs.txt"));
    expect(aptRebootStatus(flag).reasons).toEqual([
      `linux-image-6.1.0-28-amd64 (${flag}.pkgs)`,
      `libc6 (${flag}.pkgs)`,
      `dbus (${flag}.pkgs)`,
    ]);
  });

  test("dnf: the packages needs-restarting -r lists (exit 1), none when it exits 0", () => {
    const output = { exitCode: 1, stdout: fixture("needs-restarting-r.dnf4.txt"), stderr: "" };
    expect(parseNeedsRestarting(output)).toBe(true);
    expect(needsRestartingReasons(output)).toEqual(["kernel", "systemd", "dbus"]);
    const none = {
      exitCode: 0,
      stdout:
        "No core libraries or services have been updated since boot-up.\nReboot should not be necessary.\n",
      stderr: "",
    };
    expect(parseNeedsRestarting(none)).toBe(false);
    expect(needsRestartingReasons(none)).toEqual([]);
  });

  test("the check-in's fields: any manager's flag, the reasons printable, once each and bounded", async () => {
    expect(await collectRebootStatus([scannerSaying({ required: false, reasons: [] })])).toEqual({
      rebootRequired: false,
      rebootReasons: [],
    });
    const many = Array.from({ length: maxRebootReasons + 20 }, (_, index) => `package-${index}`);
    const status = await collectRebootStatus([
      scannerSaying({
        required: true,
        reasons: ["Windows Update: a reboot is pending", "evil\u202etxt.exe\tname"],
      }),
      scannerSaying({ required: false, reasons: [] }),
      scannerSaying({
        required: true,
        reasons: ["Windows Update: a reboot is pending", "x".repeat(500), ...many],
      }),
    ]);
    expect(status.rebootRequired).toBe(true);
    expect(status.rebootReasons).toHaveLength(maxRebootReasons);
    expect(status.rebootReasons.slice(0, 3)).toEqual([
      "Windows Update: a reboot is pending",
      "evil txt.exe name",
      "x".repeat(200),
    ]);
  });
});
