import { randomUUID } from "node:crypto";
import { statfsSync } from "node:fs";
import os from "node:os";
import { type HostFacts, type Metrics, type OsType, toPrintableText } from "@redflag/contracts";
import { readFileIfExists, writeFileAtomically } from "../config/files.ts";
import { agentVersion } from "../version.ts";

function osType(platform: NodeJS.Platform): OsType {
  if (platform === "linux") return "linux";
  if (platform === "win32") return "windows";
  if (platform === "darwin") return "macos";
  return "other";
}

/** `/etc/os-release` fields (NAME, VERSION_ID, …). */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (!match?.[1]) continue;
    fields[match[1]] = (match[2] ?? "").replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
  }
  return fields;
}

/** A printable, bounded copy of text read from the system. */
function clean(text: string, max = 256): string {
  return toPrintableText(text, max * 2)
    .trim()
    .slice(0, max);
}

/** The machine id: systemd's on Linux, else one made once and kept in the state directory. */
function machineId(machineIdFile: string): string {
  for (const path of ["/etc/machine-id", "/var/lib/dbus/machine-id"]) {
    try {
      const value = clean(readFileIfExists(path) ?? "", 128);
      if (/^[0-9a-f]{16,}$/i.test(value)) return value;
    } catch {
      // Unreadable: try the next.
    }
  }
  const kept = clean(readFileIfExists(machineIdFile) ?? "", 128);
  if (kept !== "") return kept;
  const made = randomUUID();
  writeFileAtomically(machineIdFile, `${made}\n`, 0o644);
  return made;
}

export function collectHostFacts(machineIdFile: string): HostFacts {
  const platform = process.platform;
  let osName = os.type();
  let osVersion = os.release();
  if (platform === "linux") {
    const release = parseOsRelease(readFileIfExists("/etc/os-release") ?? "");
    osName = release.NAME ?? osName;
    osVersion = release.VERSION_ID ?? release.VERSION ?? osVersion;
  } else if (platform === "win32") {
    osName = "Windows";
    osVersion = os.release();
  }
  return {
    hostname: clean(os.hostname(), 253) || "unknown",
    osType: osType(platform),
    osName: clean(osName),
    osVersion: clean(osVersion),
    architecture: clean(os.machine(), 32) || process.arch,
    agentVersion,
    machineId: machineId(machineIdFile),
  };
}

type CpuSample = { idle: number; total: number };

function sampleCpu(): CpuSample {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    idle += cpu.times.idle;
    total += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq + cpu.times.idle;
  }
  return { idle, total };
}

/** Collects metrics; CPU use is measured between two calls of the returned function. */
export function createMetricsCollector() {
  let previous = sampleCpu();
  return (): Metrics => {
    const current = sampleCpu();
    const total = current.total - previous.total;
    const cpuPercent =
      total > 0 ? Math.min(100, Math.max(0, (1 - (current.idle - previous.idle) / total) * 100)) : 0;
    previous = current;
    const metrics: Metrics = {
      cpuPercent: Math.round(cpuPercent * 10) / 10,
      memoryTotalBytes: os.totalmem(),
      memoryUsedBytes: Math.max(0, os.totalmem() - os.freemem()),
      uptimeSeconds: Math.floor(os.uptime()),
    };
    if (process.platform !== "win32") metrics.loadAverage = os.loadavg().map((value) => Math.max(0, value));
    try {
      const disk = statfsSync(process.platform === "win32" ? "C:\\" : "/");
      metrics.diskTotalBytes = disk.blocks * disk.bsize;
      metrics.diskUsedBytes = Math.max(0, (disk.blocks - disk.bfree) * disk.bsize);
    } catch {
      // No disk figures on this system.
    }
    return metrics;
  };
}
