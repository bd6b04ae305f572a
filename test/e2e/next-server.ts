import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Subprocess, spawn } from "bun";
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
 * /api/health answers. Needs `bun run build` first.
 */
export async function startNextServer(environment: Record<string, string>): Promise<NextServer> {
  if (!existsSync(join(webDirectory, ".next", "BUILD_ID"))) {
    throw new Error("No production build: run `bun run build` first");
  }
  const port = await freePort();
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
