import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

/**
 * A real apt-cacher-ng (Debian's package), run as this process's child with its own cache, log and
 * config directories, listening on 127.0.0.1 only; never the system service. It proxies plain HTTP
 * repositories on `allowedPorts` (its AllowUserPorts) and logs each transfer in apt-cacher.log:
 * `time|I|bytes|client|path` for what it fetched upstream, `time|O|bytes|client|path` for what it served.
 */
export class AptCacherNg {
  readonly directory = mkdtempSync(join(tmpdir(), "redflag-acng-"));
  private process: Subprocess | null = null;
  port = 0;

  /** Starts it on a free port; apt-cacher-ng 3.7 cannot bind ports above 32767, so one below is chosen. */
  async start(allowedPorts: number[]): Promise<void> {
    for (const path of ["conf", "cache", "log"]) mkdirSync(join(this.directory, path), { recursive: true });
    writeFileSync(
      join(this.directory, "conf/acng.conf"),
      [
        `CacheDir: ${join(this.directory, "cache")}`,
        `LogDir: ${join(this.directory, "log")}`,
        "SupportDir: /usr/lib/apt-cacher-ng",
        "ForeGround: 1",
        "VerboseLog: 1",
        `AllowUserPorts: ${allowedPorts.join(" ")}`,
        "BindAddress: 127.0.0.1",
        "ExThreshold: 4",
        "",
      ].join("\n"),
    );
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = 20_000 + Math.floor(Math.random() * 12_000);
      const child = Bun.spawn(
        ["/usr/sbin/apt-cacher-ng", "-c", join(this.directory, "conf"), `Port=${port}`],
        { stdout: "pipe", stderr: "pipe" },
      );
      if (await answers(port, child)) {
        this.process = child;
        this.port = port;
        return;
      }
      child.kill();
      await child.exited;
    }
    throw new Error("apt-cacher-ng did not start on any port tried");
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The transfer log's lines, parsed. */
  transfers(): { direction: "I" | "O"; bytes: number; path: string }[] {
    let text = "";
    try {
      text = readFileSync(join(this.directory, "log/apt-cacher.log"), "utf8");
    } catch {
      return [];
    }
    return text
      .split("\n")
      .map((line) => line.split("|"))
      .filter((fields) => fields.length >= 5 && (fields[1] === "I" || fields[1] === "O"))
      .map((fields) => ({
        direction: fields[1] as "I" | "O",
        bytes: Number(fields[2]),
        path: fields.slice(4).join("|"),
      }));
  }

  async stop(): Promise<void> {
    if (this.process) {
      this.process.kill();
      await this.process.exited;
      this.process = null;
    }
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/** Whether the proxy answers on the port before its process gives up (a port taken, say). */
async function answers(port: number, child: Subprocess): Promise<boolean> {
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  for (let attempt = 0; attempt < 100 && !exited; attempt++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/acng-report.html`);
      await response.arrayBuffer();
      return true;
    } catch {
      await Bun.sleep(50);
    }
  }
  return false;
}

/** Serves a directory over plain HTTP on 127.0.0.1 (a port apt-cacher-ng accepts); counts requests per path. */
export function serveDirectory(directory: string) {
  const requests = new Map<string, number>();
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      const server = Bun.serve({
        hostname: "127.0.0.1",
        port,
        async fetch(request) {
          const path = decodeURIComponent(new URL(request.url).pathname);
          requests.set(path, (requests.get(path) ?? 0) + 1);
          if (path.includes("..")) return new Response("no", { status: 400 });
          const file = Bun.file(join(directory, path));
          return (await file.exists()) ? new Response(file) : new Response("", { status: 404 });
        },
      });
      return { server, port, requests, url: `http://127.0.0.1:${port}` };
    } catch {}
  }
  throw new Error("no free port for the repository server");
}
