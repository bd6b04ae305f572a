import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Subprocess, spawn } from "bun";
import postgres from "postgres";
import { collectOutput } from "../harness/process-output.ts";

const webDirectory = resolve(import.meta.dir, "../../apps/web");

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

export type NextServer = {
  url: string;
  process: Subprocess;
  output: () => string;
  stop: () => Promise<void>;
};

/**
 * Starts the production build (`next start`) on Node, as `npm start` does, and waits until
 * /api/health answers. Needs `bun run build` first. `port`: a server started again at its old URL.
 */
export async function startNextServer(
  environment: Record<string, string>,
  options: { port?: number } = {},
): Promise<NextServer> {
  if (!existsSync(join(webDirectory, ".next", "BUILD_ID"))) {
    throw new Error("No production build: run `bun run build` first");
  }
  const port = options.port ?? (await freePort());
  let output = "";
  const child = spawn({
    cmd: [
      "node",
      join(webDirectory, "node_modules/next/dist/bin/next"),
      "start",
      "-p",
      String(port),
      "-H",
      "127.0.0.1",
    ],
    cwd: webDirectory,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", PORT: String(port), ...environment },
    stdout: "pipe",
    stderr: "pipe",
  });
  collectOutput(child, (text) => {
    output += text;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${output}`);
    const healthy = await fetch(`${url}/api/health`)
      .then((response) => response.status === 200)
      .catch(() => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`next start did not become healthy within 60 s:\n${output}`);
    }
    await Bun.sleep(100);
  }
  return {
    url,
    process: child,
    output: () => output,
    async stop() {
      const started = Date.now();
      child.kill("SIGTERM");
      const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
      if (!exited) {
        child.kill("SIGKILL");
        await child.exited;
      }
      console.log(
        `next start stopped ${exited ? "on SIGTERM" : "by SIGKILL"} after ${Date.now() - started} ms`,
      );
    },
  };
}

export function temporaryDirectory(prefix: string) {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * The database environment of a production server under test: a fresh data directory for the
 * embedded database, or a fresh database on the PostgreSQL at `postgresUrl`. Its removal goes on
 * `cleanups`.
 */
export async function serverDatabaseEnvironment(
  postgresUrl: string | null | undefined,
  cleanups: (() => Promise<void> | void)[],
  prefix = "redflag-e2e-",
): Promise<Record<string, string>> {
  if (!postgresUrl) {
    const dataDirectory = temporaryDirectory(prefix);
    cleanups.push(dataDirectory.remove);
    return { REDFLAG_DATA_DIR: dataDirectory.path };
  }
  const name = `redflag_e2e_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(postgresUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  cleanups.push(async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return { DATABASE_URL: url.toString() };
}
