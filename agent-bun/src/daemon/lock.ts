import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { ExitError, exitCodes } from "../errors.ts";

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readPid(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * One agent per host: the lock file is created exclusively and holds our pid. A lock left by a
 * process that is gone (crash, power loss) is taken over.
 */
export function acquireLock(path: string): { release: () => void } {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        release: () => {
          if (readPid(path) === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new ExitError(`Cannot create the lock file ${path}: ${(error as Error).message}`, {
          exitCode:
            (error as NodeJS.ErrnoException).code === "EACCES" ? exitCodes.notRoot : exitCodes.internal,
          cause: error,
        });
      }
      const holder = readPid(path);
      if (holder !== null && holder !== process.pid && isRunning(holder)) {
        throw new ExitError(`Another agent is already running on this host (pid ${holder}, lock ${path})`, {
          exitCode: exitCodes.alreadyRunning,
        });
      }
      rmSync(path, { force: true });
    }
  }
  throw new ExitError(`Cannot take the lock file ${path}: another process keeps creating it`, {
    exitCode: exitCodes.alreadyRunning,
  });
}
