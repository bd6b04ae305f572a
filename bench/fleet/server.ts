import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Subprocess, spawn } from "bun";
import { collectOutput } from "../../test/harness/process-output.ts";

const webDirectory = resolve(import.meta.dir, "../../apps/web");
const keptOutput = 64 * 1024;

/**
 * The production server (`next start`, as test/e2e/next-server.ts starts it) on one fixed port, so
 * the simulated agents find it again after it is killed with SIGKILL and started anew.
 */
export class FleetServer {
  private child: Subprocess | null = null;
  private text = "";
  readonly url: string;

  constructor(
    readonly port: number,
    private readonly environment: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts the server and waits until /api/health answers; returns how long that took in ms. */
  async start(): Promise<number> {
    if (!existsSync(join(webDirectory, ".next", "BUILD_ID"))) {
      throw new Error("No production build: run `bun run build` first");
    }
    const started = performance.now();
    const child = spawn({
      cmd: [
        "node",
        join(webDirectory, "node_modules/next/dist/bin/next"),
        "start",
        "-p",
        String(this.port),
        "-H",
        "127.0.0.1",
      ],
      cwd: webDirectory,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", PORT: String(this.port), ...this.environment },
      stdout: "pipe",
      stderr: "pipe",
    });
    this.child = child;
    collectOutput(child, (text) => {
      this.text = (this.text + text).slice(-keptOutput);
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${this.text}`);
      const healthy = await fetch(`${this.url}/api/health`)
        .then((response) => response.status === 200)
        .catch(() => false);
      if (healthy) return performance.now() - started;
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`next start did not become healthy within 60 s:\n${this.text}`);
      }
      await Bun.sleep(50);
    }
  }

  /** kill -9: no shutdown hook runs, requests in flight lose their answers. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill("SIGKILL");
    await child.exited;
    this.child = null;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill("SIGTERM");
    const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
    if (!exited) {
      child.kill("SIGKILL");
      await child.exited;
    }
    this.child = null;
  }

  output(): string {
    return this.text;
  }
}
