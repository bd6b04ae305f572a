import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  hasRebooted,
  linuxBootIdentity,
  parseInitStartTicks,
  parseKernelBootSeconds,
  uptimeBootIdentity,
} from "../../src/lifecycle/boot-identity.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dir, "fixtures", name), "utf8");

function files(overrides: Record<string, string> = {}) {
  const all: Record<string, string> = {
    "/proc/sys/kernel/random/boot_id": "15f8068a-367d-46ba-80e4-cd5db25ab755\n",
    "/proc/1/stat": fixture("proc-1-stat.host.txt"),
    "/proc/stat": fixture("proc-stat.host.txt"),
    ...overrides,
  };
  return (path: string) => {
    const text = all[path];
    if (text === undefined) throw new Error(`ENOENT ${path}`);
    return text;
  };
}

describe("boot identity", () => {
  test("PID 1's start and the kernel's boot time come from recorded /proc files", () => {
    expect(parseInitStartTicks(fixture("proc-1-stat.host.txt"))).toBe(19);
    expect(parseKernelBootSeconds(fixture("proc-stat.host.txt"))).toBe(1796075504);
    // A process name may hold spaces and parentheses: fields are counted after the last ")".
    expect(
      parseInitStartTicks("1 (my (odd) init) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 4242 100 1"),
    ).toBe(4242);
    expect(parseInitStartTicks("1 (init) S 0")).toBeNull();
  });

  test("Linux: boot id, PID 1's start ticks and the boot time they give", () => {
    const identity = linuxBootIdentity(files());
    expect(identity).toEqual({
      bootId: "15f8068a-367d-46ba-80e4-cd5db25ab755",
      initStartTicks: 19,
      bootedAt: new Date(1796075504 * 1000 + 190),
    });
    expect(() => linuxBootIdentity(files({ "/proc/sys/kernel/random/boot_id": "nonsense" }))).toThrow(
      "unexpected boot id",
    );
    expect(() => linuxBootIdentity(files({ "/proc/stat": "cpu 1 2 3\n" }))).toThrow("btime");
  });

  test("a host reboot changes the boot id; a container restart keeps it but restarts PID 1", () => {
    const before = linuxBootIdentity(files());
    expect(hasRebooted(before, linuxBootIdentity(files()))).toBe(false);
    const newKernel = linuxBootIdentity(
      files({ "/proc/sys/kernel/random/boot_id": "0b0e7c5e-0000-4000-8000-000000000001\n" }),
    );
    expect(hasRebooted(before, newKernel)).toBe(true);
    const restartedContainer = linuxBootIdentity(
      files({ "/proc/1/stat": fixture("proc-1-stat.host.txt").replace(" 0 19 ", " 0 90017 ") }),
    );
    expect(restartedContainer.bootId).toBe(before.bootId);
    expect(restartedContainer.initStartTicks).toBe(90017);
    expect(hasRebooted(before, restartedContainer)).toBe(true);
  });

  test("Windows: the boot time from the uptime, with a tolerance for the clock's drift", () => {
    const now = Date.parse("2026-12-01T01:00:00Z");
    const before = uptimeBootIdentity(now, 3600);
    expect(before.bootedAt.toISOString()).toBe("2026-12-01T00:00:00.000Z");
    expect(hasRebooted(before, uptimeBootIdentity(now + 600_000, 3600 + 600.4))).toBe(false);
    expect(hasRebooted(before, uptimeBootIdentity(now + 600_000, 45))).toBe(true);
  });
});
