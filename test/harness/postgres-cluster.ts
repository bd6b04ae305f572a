import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The newest installed PostgreSQL server's binaries (Debian's layout), or a clear failure. */
export function postgresBinDirectory(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((version) => existsSync(join(root, version, "bin", "pg_ctl")))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  const newest = versions.at(-1);
  if (!newest) throw new Error("PostgreSQL server binaries not found (apt-get install postgresql)");
  return join(root, newest, "bin");
}

/** A port nothing listens on right now. */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

export type ShutdownMode = "smart" | "fast" | "immediate";

export type PostgresCluster = {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust authentication). */
  url: string;
  port: number;
  /** Starts the stopped cluster and resolves once it accepts connections. */
  start: () => Promise<void>;
  stop: (mode: ShutdownMode) => Promise<void>;
  /** `pg_ctl restart`: stops (immediate: without a checkpoint, so the start replays the WAL) and starts. */
  restart: (mode: ShutdownMode) => Promise<void>;
  /** Stops the cluster if it runs and deletes its directory. */
  destroy: () => Promise<void>;
};

/**
 * A throwaway PostgreSQL cluster of its own (scripts/with-postgres.sh's recipe), for tests that stop and
 * restart the database under a running server. Run as root, its programs run as the postgres user.
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = postgresBinDirectory();
  const directory = mkdtempSync(join(tmpdir(), "redflag-cluster-"));
  const data = join(directory, "data");
  const port = freePort();
  const isRoot = process.getuid?.() === 0;
  if (isRoot) chownSync(directory, await postgresUserId(), 0);
  const run = async (program: string, args: string[]) => {
    const argv = isRoot
      ? ["runuser", "-u", "postgres", "--", join(bin, program), ...args]
      : [join(bin, program), ...args];
    // Asynchronous, so the server under test keeps answering while pg_ctl waits.
    const child = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    if (exitCode !== 0)
      throw new Error(`${program} ${args.join(" ")} exited ${exitCode}: ${stderr || stdout}`);
  };
  const serverOptions = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1`;
  const start = () =>
    run("pg_ctl", ["-D", data, "-l", join(directory, "log"), "-w", "-o", serverOptions, "start"]);
  const stop = (mode: ShutdownMode) => run("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"]);
  try {
    await run("initdb", ["-D", data, "-A", "trust", "-U", "postgres"]);
    await start();
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    async restart(mode) {
      await run("pg_ctl", [
        "-D",
        data,
        "-l",
        join(directory, "log"),
        "-m",
        mode,
        "-w",
        "-o",
        serverOptions,
        "restart",
      ]);
    },
    async destroy() {
      // Stopped already, or not: either way nothing of it may outlive the test.
      await stop("immediate").catch(() => {});
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function postgresUserId(): Promise<number> {
  const child = Bun.spawn(["id", "-u", "postgres"], { stdout: "pipe" });
  const text = await new Response(child.stdout).text();
  if ((await child.exited) !== 0) throw new Error("there is no postgres user (apt-get install postgresql)");
  return Number(text.trim());
}
