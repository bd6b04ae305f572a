import { readFileSync } from "node:fs";
import os from "node:os";
import { z } from "zod";

/**
 * Which boot the host is in. Linux: the kernel's boot id plus PID 1's start, because a container
 * restarted by its engine keeps the kernel's boot id while its init starts anew. Windows: the boot
 * time derived from the uptime, which is exact to about a second (compared with a tolerance).
 */
export const bootIdentitySchema = z.object({
  bootId: z.string().max(64).nullable(),
  /** PID 1's start in clock ticks since the kernel booted (Linux); null elsewhere. */
  initStartTicks: z.number().int().nonnegative().nullable(),
  bootedAt: z.coerce.date(),
});
export type BootIdentity = z.infer<typeof bootIdentitySchema>;

/** Linux counts process start times in USER_HZ, which is 100 on every architecture Linux ships. */
const ticksPerSecond = 100;
/** Boot times derived from the uptime drift by the clock's adjustments; a reboot moves them far more. */
const bootTimeToleranceMs = 30_000;

/** PID 1's start time (field 22 of /proc/1/stat); the name in parentheses may hold spaces. */
export function parseInitStartTicks(stat: string): number | null {
  const fields = stat
    .slice(stat.lastIndexOf(")") + 2)
    .trim()
    .split(/\s+/);
  // Field 3 (state) is the first after the name, so field 22 is the 20th.
  const value = Number(fields[19]);
  return Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** The kernel's boot time (`btime` in /proc/stat), in seconds since the epoch. */
export function parseKernelBootSeconds(stat: string): number | null {
  const match = /^btime\s+(\d+)$/m.exec(stat);
  return match?.[1] ? Number(match[1]) : null;
}

export type ReadText = (path: string) => string;

export function linuxBootIdentity(read: ReadText = (path) => readFileSync(path, "utf8")): BootIdentity {
  const bootId = read("/proc/sys/kernel/random/boot_id").trim();
  if (!/^[0-9a-f-]{16,64}$/i.test(bootId)) throw new Error(`unexpected boot id "${bootId.slice(0, 64)}"`);
  const initStartTicks = parseInitStartTicks(read("/proc/1/stat"));
  if (initStartTicks === null) throw new Error("cannot read PID 1's start time from /proc/1/stat");
  const kernelBoot = parseKernelBootSeconds(read("/proc/stat"));
  if (kernelBoot === null) throw new Error("no btime in /proc/stat");
  return {
    bootId,
    initStartTicks,
    bootedAt: new Date(kernelBoot * 1000 + (initStartTicks / ticksPerSecond) * 1000),
  };
}

export function uptimeBootIdentity(now = Date.now(), uptimeSeconds = os.uptime()): BootIdentity {
  return { bootId: null, initStartTicks: null, bootedAt: new Date(Math.round(now - uptimeSeconds * 1000)) };
}

export function currentBootIdentity(platform: NodeJS.Platform = process.platform): BootIdentity {
  return platform === "linux" ? linuxBootIdentity() : uptimeBootIdentity();
}

/** Whether `now` is a later boot than `before` (a new kernel boot, a restarted init, or a later boot time). */
export function hasRebooted(before: BootIdentity, now: BootIdentity): boolean {
  if (before.bootId !== null && now.bootId !== null && before.bootId !== now.bootId) return true;
  if (before.initStartTicks !== null && now.initStartTicks !== null)
    return before.initStartTicks !== now.initStartTicks;
  return now.bootedAt.getTime() - before.bootedAt.getTime() > bootTimeToleranceMs;
}
