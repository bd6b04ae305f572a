import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "bun";
import { freePort } from "../e2e/next-server.ts";
import { collectOutput } from "../harness/process-output.ts";
import { waitFor } from "../harness/wait-for.ts";

const nginxProgram = "/usr/sbin/nginx";

export type ProxySite = {
  /** nginx's proxy_read_timeout: how long it waits for the upstream's answer before a 504. */
  readTimeoutSeconds: number;
};

/** One request as nginx logged it. */
export type ProxiedRequest = { port: number; uri: string; status: number; seconds: number };

/**
 * A real nginx (Debian's nginx-light) in front of `upstreamUrl`, one listening port per site, run
 * unprivileged-style from a directory of its own (config, pid, logs, temp files). Its access log
 * records each request's status and duration, read back by `requests()`.
 */
export async function startReverseProxy(upstreamUrl: string, directory: string, sites: ProxySite[]) {
  if (!existsSync(nginxProgram)) throw new Error(`No nginx at ${nginxProgram}: apt-get install nginx-light`);
  mkdirSync(directory, { recursive: true });
  const upstream = new URL(upstreamUrl);
  const ports = await Promise.all(sites.map(() => freePort()));
  const accessLog = join(directory, "access.log");
  const servers = sites.map(
    (site, index) => `
    server {
      listen 127.0.0.1:${ports[index]};
      location / {
        proxy_pass http://${upstream.host};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_read_timeout ${site.readTimeoutSeconds}s;
      }
    }`,
  );
  const config = `
daemon off;
${process.getuid?.() === 0 ? "user root;" : ""}
worker_processes 1;
pid ${join(directory, "nginx.pid")};
error_log ${join(directory, "error.log")} warn;
events { worker_connections 64; }
http {
  log_format timing '$server_port $request_uri $status $request_time';
  access_log ${accessLog} timing;
  client_body_temp_path ${join(directory, "client-body")};
  proxy_temp_path ${join(directory, "proxy")};
  fastcgi_temp_path ${join(directory, "fastcgi")};
  uwsgi_temp_path ${join(directory, "uwsgi")};
  scgi_temp_path ${join(directory, "scgi")};
  ${servers.join("\n")}
}
`;
  const configFile = join(directory, "nginx.conf");
  writeFileSync(configFile, config);
  let output = "";
  const child = spawn({
    cmd: [nginxProgram, "-p", directory, "-c", configFile, "-e", join(directory, "error.log")],
    stdout: "pipe",
    stderr: "pipe",
  });
  collectOutput(child, (text) => {
    output += text;
  });
  const urls = ports.map((port) => `http://127.0.0.1:${port}`);
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await child.exited;
  };
  try {
    await waitFor(
      "nginx to answer on every port",
      async () => {
        if (child.exitCode !== null)
          throw new Error(
            `nginx exited with ${child.exitCode}: ${output}${readIfExists(join(directory, "error.log"))}`,
          );
        const answers = await Promise.all(
          urls.map((url) =>
            fetch(`${url}/api/health`)
              .then((response) => response.status === 200)
              .catch(() => false),
          ),
        );
        return answers.every(Boolean);
      },
      30_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    urls,
    ports,
    /** Every request nginx has logged so far. */
    requests(): ProxiedRequest[] {
      return readIfExists(accessLog)
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => {
          const [port = "", uri = "", status = "", seconds = ""] = line.split(" ");
          return { port: Number(port), uri, status: Number(status), seconds: Number(seconds) };
        });
    },
    stop,
  };
}

function readIfExists(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}
