import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import {
  createDatabase,
  DataDirectoryLockedError,
  DurableNodeFS,
  dataDirectoryLockFileName,
  durableStartParams,
  lockDataDirectory,
  readLastShutdown,
  rowsOf,
} from "@redflag/db";
import { type Subprocess, spawn } from "bun";
import { sql } from "drizzle-orm";
import { collectOutput } from "./harness/process-output.ts";

const directories: string[] = [];
const children: Subprocess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
}, 60_000);

// initdb takes seconds (tens on a busy machine): run it once, start each test from a copy.
const startupTimeout = 180_000;
let template = "";
beforeAll(async () => {
  template = emptyDirectory();
  await (await createDatabase({ driver: "pglite", dataDir: template })).close();
}, startupTimeout);

function emptyDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), "redflag-embedded-"));
  directories.push(directory);
  return directory;
}

/** A data directory holding an initialised, cleanly stopped cluster. */
function dataDirectory(): string {
  const directory = emptyDirectory();
  cpSync(template, directory, { recursive: true });
  return directory;
}

type Opener = { child: Subprocess<"pipe", "pipe", "pipe">; output: () => string; exited: Promise<number> };

/** Opens the data directory in another process (see open-data-directory.ts). */
function openInAnotherProcess(dataDir: string, mode: "idle" | "write" = "idle"): Opener {
  const child = spawn({
    cmd: ["bun", join(import.meta.dir, "embedded/open-data-directory.ts"), dataDir, mode],
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  children.push(child);
  let output = "";
  collectOutput(child, (text) => {
    output += text;
  });
  return { child, output: () => output, exited: child.exited };
}

async function waitForOutput(opener: Opener, pattern: RegExp): Promise<RegExpMatchArray> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const match = opener.output().match(pattern);
    if (match) return match;
    if (opener.child.exitCode !== null) {
      throw new Error(`exited ${opener.child.exitCode} before ${pattern}:\n${opener.output()}`);
    }
    if (Date.now() > deadline) throw new Error(`no ${pattern} within 30 s:\n${opener.output()}`);
    await Bun.sleep(20);
  }
}

describe("one process per embedded data directory", () => {
  test(
    "a second process is refused and told which process holds the directory",
    async () => {
      const dataDir = dataDirectory();
      const first = openInAnotherProcess(dataDir);
      await waitForOutput(first, /opened \d+/);
      const second = openInAnotherProcess(dataDir);
      expect(await second.exited).toBe(3);
      expect(second.output()).toContain("DataDirectoryLockedError");
      expect(second.output()).toContain(`in use by another RedFlag server (pid ${first.child.pid}`);
      first.child.stdin.end();
      expect(await first.exited).toBe(0);
      expect(existsSync(join(dataDir, dataDirectoryLockFileName))).toBe(false);
    },
    startupTimeout,
  );

  test(
    "a lock left by a killed process does not block the next start, and no acknowledged write is lost",
    async () => {
      const dataDir = dataDirectory();
      const writer = openInAnotherProcess(dataDir, "write");
      await waitForOutput(writer, /wrote 50\n/);
      writer.child.kill("SIGKILL");
      await writer.exited;
      const acknowledged = [...writer.output().matchAll(/wrote (\d+)/g)].length;
      expect(existsSync(join(dataDir, dataDirectoryLockFileName))).toBe(true);

      const handle = await createDatabase({ driver: "pglite", dataDir });
      try {
        expect(handle.lastShutdown).toBe("crash");
        const [row] = rowsOf<{ count: number }>(
          await handle.db.execute(sql`select count(*)::int as count from writes`),
        );
        expect(row?.count).toBeGreaterThanOrEqual(acknowledged);
      } finally {
        await handle.close();
      }
    },
    startupTimeout,
  );

  test(
    "a second open in the same process is refused too, and close frees the directory",
    async () => {
      const dataDir = dataDirectory();
      const handle = await createDatabase({ driver: "pglite", dataDir });
      const refused = await createDatabase({ driver: "pglite", dataDir }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(DataDirectoryLockedError);
      expect((refused as DataDirectoryLockedError).holder.pid).toBe(process.pid);
      await handle.close();
      const again = await createDatabase({ driver: "pglite", dataDir });
      expect(again.lastShutdown).toBe("clean");
      await again.close();
    },
    startupTimeout,
  );

  test("a lock file naming a pid that is not running, or garbage, is taken over", () => {
    const dataDir = dataDirectory();
    const lockPath = join(dataDir, dataDirectoryLockFileName);
    const dead = {
      pid: 2 ** 22 + 17,
      hostname: "elsewhere-but-same-kernel",
      bootId: null,
      pidNamespace: null,
    };
    // A holder on another host is judged by how fresh the lock is: a fresh one is refused.
    writeFileSync(lockPath, JSON.stringify({ ...dead, processStart: null, acquiredAt: "then" }));
    expect(() => lockDataDirectory(dataDir)).toThrow(/pid 4194321 on host elsewhere-but-same-kernel/);
    // The same lock as if written by this host: the pid is not running, so it is stale.
    const here = lockDataDirectory(join(dataDir, "probe"));
    const { hostname, bootId, pidNamespace } = here.holder;
    here.release();
    writeFileSync(lockPath, JSON.stringify({ ...dead, hostname, bootId, pidNamespace, processStart: "1" }));
    const taken = lockDataDirectory(dataDir);
    expect(taken.holder.pid).toBe(process.pid);
    taken.release();
    writeFileSync(lockPath, "{half a");
    lockDataDirectory(dataDir).release();
    expect(existsSync(lockPath)).toBe(false);
  });
});

describe("durable commits on the embedded database", () => {
  test(
    "every commit is synced to disk (fsync on, WAL flushed by fsync)",
    async () => {
      const dataDir = dataDirectory();
      const fs = new DurableNodeFS(dataDir);
      const pglite = new PGlite({ dataDir, fs, startParams: durableStartParams });
      try {
        const settings = await pglite.query<{ fsync: string; method: string }>(
          "select current_setting('fsync') as fsync, current_setting('wal_sync_method') as method",
        );
        expect(settings.rows[0]).toEqual({ fsync: "on", method: "fsync" });
        await pglite.exec("create table t (id serial primary key)");
        const before = fs.syncCount;
        for (let index = 0; index < 20; index++) await pglite.query("insert into t default values");
        expect(fs.syncCount - before).toBeGreaterThanOrEqual(20);
      } finally {
        await pglite.close();
      }
      expect(readLastShutdown(dataDir)).toBe("clean");
    },
    startupTimeout,
  );
});
