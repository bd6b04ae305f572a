import { fsyncSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { NodeFS } from "@electric-sql/pglite/nodefs";

/**
 * PGlite's Node filesystem cannot make a commit durable: PGlite starts Postgres with `-F` (fsync
 * off), Emscripten's NODEFS has no fsync operation (fsync(2) from Postgres does nothing) and its
 * fdatasync is a no-op. This filesystem gives NODEFS an fsync that reaches the disk; with
 * `durableStartParams` (fsync on, WAL flushed with fsync rather than the no-op fdatasync) a commit
 * returns only after its WAL is on disk, and checkpoints sync the data files they write.
 */
export class DurableNodeFS extends NodeFS {
  /** How many fsync calls reached the disk: lets tests and benchmarks see that commits sync. */
  syncCount = 0;

  override async init(...args: Parameters<NodeFS["init"]>): ReturnType<NodeFS["init"]> {
    const result = await super.init(...args);
    const preRun = result.emscriptenOpts.preRun ?? [];
    result.emscriptenOpts.preRun = [
      ...(Array.isArray(preRun) ? preRun : [preRun]),
      (module: EmscriptenModuleWithNodefs) => {
        const nodefs = module.NODEFS;
        nodefs.stream_ops.fsync = (stream) => {
          nodefs.tryFSOperation(() => fsyncSync(stream.nfd));
          this.syncCount++;
          return 0;
        };
      },
    ];
    return result;
  }
}

/** The subset of Emscripten's module this relies on (PGlite's own NodeFS mounts NODEFS the same way). */
type EmscriptenModuleWithNodefs = {
  NODEFS: {
    stream_ops: { fsync?: (stream: { nfd: number }) => number };
    tryFSOperation: (operation: () => void) => void;
  };
};

export const durableStartParams: string[] = [
  ...PGlite.defaultStartParams.filter((parameter) => parameter !== "-F"),
  "-c",
  "fsync=on",
  "-c",
  "wal_sync_method=fsync",
];

/** `DBState` of global/pg_control (PostgreSQL's pg_control.h): what the last stop left behind. */
export type LastShutdown = "clean" | "crash" | "new";

/** Reads the cluster state word (offset 16) without starting Postgres: 1 = shut down, anything else after a start = not. */
export function readLastShutdown(dataDir: string): LastShutdown {
  let control: Buffer;
  try {
    control = readFileSync(join(dataDir, "global", "pg_control"));
  } catch {
    return "new";
  }
  if (control.length < 20) return "new";
  const state = control.readInt32LE(16);
  const shutDown = 1;
  const shutDownInRecovery = 2;
  return state === shutDown || state === shutDownInRecovery ? "clean" : "crash";
}
