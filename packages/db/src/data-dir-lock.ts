import { randomBytes } from "node:crypto";
import {
  linkSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";

/** Lives inside the data directory, so every process that can open the directory sees it. */
export const dataDirectoryLockFileName = "redflag-server.lock";

/** The holder refreshes the lock's mtime this often; a lock we cannot check is live while it is fresh. */
const heartbeatMs = 10_000;
const heartbeatStaleMs = 6 * heartbeatMs;

/** Who holds a data directory: enough to tell a live holder from a dead one, and to name it to a person. */
export type LockHolder = {
  pid: number;
  hostname: string;
  /** Linux only: boot id, pid namespace and start time make the pid unambiguous (pids are reused). */
  bootId: string | null;
  pidNamespace: string | null;
  processStart: string | null;
  acquiredAt: string;
};

export type DataDirectoryLock = { path: string; holder: LockHolder; release: () => void };

export class DataDirectoryLockedError extends Error {
  override name = "DataDirectoryLockedError";
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
    readonly lockPath: string,
  ) {
    const where = holder.hostname === hostname() ? "" : ` on host ${holder.hostname}`;
    super(
      `The data directory ${dataDir} is in use by another RedFlag server (pid ${holder.pid}${where}, since ${holder.acquiredAt}). ` +
        `Stop that process first; only one process may open an embedded database. If it is certainly not running, delete ${lockPath}.`,
    );
  }
}

/** True for the error `lockDataDirectory` throws; checked by name because bundlers may copy the class. */
export function isDataDirectoryLockedError(error: unknown): error is DataDirectoryLockedError {
  return error instanceof Error && error.name === "DataDirectoryLockedError";
}

/**
 * Takes the data directory for this process, or throws `DataDirectoryLockedError` naming the live
 * holder. A lock left by a dead process is taken over. The file is created whole with link(2), so a
 * reader never sees it half written; a stale one is moved aside before removal so that two starters
 * taking over the same stale lock cannot remove each other's fresh one.
 */
export function lockDataDirectory(dataDir: string): DataDirectoryLock {
  const directory = resolve(dataDir);
  mkdirSync(directory, { recursive: true });
  const lockPath = join(directory, dataDirectoryLockFileName);
  const holder = describeThisProcess();
  const content = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusively(lockPath, content)) return heldLock(lockPath, holder, content);
    const existing = readLock(lockPath);
    if (existing === "missing") continue;
    if (existing !== "unreadable" && isHolderAlive(existing.holder, lockPath)) {
      throw new DataDirectoryLockedError(directory, existing.holder, lockPath);
    }
    // Unreadable (a crash while an older version wrote it) or dead: move aside, then check it is the one judged.
    const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      renameSync(lockPath, aside);
    } catch {
      continue;
    }
    const moved = readFileSync(aside, "utf8");
    if (existing !== "unreadable" && moved !== existing.content) {
      // Another starter replaced the stale lock meanwhile: give its lock back.
      try {
        linkSync(aside, lockPath);
      } catch {
        // It has already been replaced again; the next attempt reads whoever holds it now.
      }
    }
    unlinkSync(aside);
  }
  throw new Error(`Could not take the lock ${lockPath}: other processes kept changing it`);
}

function heldLock(lockPath: string, holder: LockHolder, content: string): DataDirectoryLock {
  const heartbeat = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(lockPath, now, now);
    } catch {
      // Gone (a person deleted it): nothing to refresh; release still checks it is ours.
    }
  }, heartbeatMs);
  heartbeat.unref?.();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    process.off("exit", release);
    try {
      if (readFileSync(lockPath, "utf8") === content) unlinkSync(lockPath);
    } catch {
      // Already gone.
    }
  };
  // A process that exits without closing the database still leaves the directory free.
  process.on("exit", release);
  return { path: lockPath, holder, release };
}

function createExclusively(lockPath: string, content: string): boolean {
  const temporary = `${lockPath}.new-${process.pid}-${randomBytes(4).toString("hex")}`;
  writeFileSync(temporary, content, { mode: 0o600 });
  try {
    linkSync(temporary, lockPath);
    return true;
  } catch (error) {
    if (errorCode(error) === "EEXIST") return false;
    // Filesystems without hard links: exclusive create, written in one call.
    if (!["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"].includes(errorCode(error) ?? "")) throw error;
    try {
      writeFileSync(lockPath, content, { flag: "wx", mode: 0o600 });
      return true;
    } catch (createError) {
      if (errorCode(createError) === "EEXIST") return false;
      throw createError;
    }
  } finally {
    unlinkSync(temporary);
  }
}

function readLock(lockPath: string): { holder: LockHolder; content: string } | "missing" | "unreadable" {
  let content: string;
  try {
    content = readFileSync(lockPath, "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return "missing";
    throw error;
  }
  try {
    const holder = JSON.parse(content) as LockHolder;
    if (typeof holder.pid !== "number" || typeof holder.hostname !== "string") return "unreadable";
    return { holder, content };
  } catch {
    return "unreadable";
  }
}

function isHolderAlive(holder: LockHolder, lockPath: string): boolean {
  const here = describeThisProcess();
  const sameProcessSpace =
    holder.hostname === here.hostname &&
    holder.bootId === here.bootId &&
    holder.pidNamespace === here.pidNamespace;
  if (sameProcessSpace) {
    if (holder.pid === process.pid && holder.processStart === here.processStart) return true;
    if (!isPidRunning(holder.pid)) return false;
    // The pid runs, but after a restart it may be another program's: compare start times where we can.
    return holder.processStart === null || holder.processStart === processStartOf(holder.pid);
  }
  // Another host or container: its pid means nothing here, but a live holder keeps the lock fresh.
  try {
    return Date.now() - statSync(lockPath).mtimeMs < heartbeatStaleMs;
  } catch {
    return false;
  }
}

function isPidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === "EPERM";
  }
}

function describeThisProcess(): LockHolder {
  return {
    pid: process.pid,
    hostname: hostname(),
    bootId: readOptional(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()),
    pidNamespace: readOptional(() => readlinkSync("/proc/self/ns/pid")),
    processStart: processStartOf(process.pid),
    acquiredAt: new Date().toISOString(),
  };
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot); the name before it may hold spaces. */
function processStartOf(pid: number): string | null {
  return readOptional(() => {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  });
}

function readOptional(read: () => string | null): string | null {
  try {
    return read();
  } catch {
    return null;
  }
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : undefined;
}
