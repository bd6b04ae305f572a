import { existsSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { join, resolve } from "node:path";
import { type Subprocess, spawn } from "bun";
import { startNextServer, temporaryDirectory } from "../e2e/next-server.ts";
import { collectOutput } from "../harness/process-output.ts";
import { apiClient, rawCall } from "../harness/server.ts";
import { waitFor } from "../harness/wait-for.ts";

export const agentBinary = resolve(import.meta.dir, "../../dist/agents/redflag-agent-linux-x64");

export function requireAgentBinary(): string {
  if (!existsSync(agentBinary))
    throw new Error(`No agent binary at ${agentBinary}: run \`bun run build:agents\` first`);
  return agentBinary;
}

export type AgentRun = { exitCode: number; stdout: string; stderr: string };

/** Runs the compiled agent to completion. */
export async function runAgent(args: string[], env: Record<string, string>): Promise<AgentRun> {
  const child = spawn({
    cmd: [requireAgentBinary(), ...args],
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { exitCode, stdout, stderr };
}

export type Daemon = {
  process: Subprocess;
  output: () => string;
  waitForOutput: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  stop: () => Promise<number>;
};

/** Starts the compiled agent as a daemon; `stop` sends SIGTERM and waits for it to exit. */
export function startDaemon(env: Record<string, string>): Daemon {
  let output = "";
  const child = spawn({
    cmd: [requireAgentBinary()],
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  collectOutput(child, (text) => {
    output += text;
  });
  return {
    process: child,
    output: () => output,
    waitForOutput: (pattern, timeoutMs = 60_000) =>
      waitFor(
        `daemon output ${pattern}`,
        () => {
          if (child.exitCode !== null && !pattern.test(output)) {
            throw new Error(
              `the daemon exited with ${child.exitCode} before printing ${pattern}:\n${output}`,
            );
          }
          return pattern.test(output);
        },
        timeoutMs,
      ).then(() => undefined),
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(30_000).then(() => false)]);
      if (!exited) {
        child.kill("SIGKILL");
        await child.exited;
      }
      return child.exitCode ?? -1;
    },
  };
}

/**
 * A TCP relay in front of the server that the test can take down and bring back, to play a
 * server that is unreachable for a while (every connection is refused by being closed at once).
 */
export async function startRelay(targetPort: number) {
  let up = true;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (!up) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    open.add(client);
    open.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    down() {
      up = false;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    up() {
      up = true;
    },
    stop: () =>
      new Promise<void>((resolveClose) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolveClose());
      }),
  };
}

export function outboxFiles(stateDirectory: string): string[] {
  const directory = join(stateDirectory, "outbox");
  if (!existsSync(directory)) return [];
  return Array.from(new Bun.Glob("*.json").scanSync({ cwd: directory }));
}

/**
 * The production server on a fresh embedded database with its admin signed in, and where a compiled
 * agent keeps its config and state: the start of every agent end-to-end test. `cleanups` receives
 * what to stop and remove.
 */
export async function startServerForAgent(
  label: string,
  cleanups: (() => unknown)[],
  serverEnv: Record<string, string> = {},
) {
  const data = temporaryDirectory(`redflag-${label}-e2e-`);
  cleanups.push(data.remove);
  const password = `${label} e2e admin password`;
  const server = await startNextServer({
    REDFLAG_DATA_DIR: join(data.path, "server"),
    REDFLAG_ADMIN_USER: "admin",
    REDFLAG_ADMIN_PASSWORD: password,
    ...serverEnv,
  });
  cleanups.push(() => server.stop());
  const login = await rawCall(server.url, "auth.login", {
    type: "mutation",
    input: { username: "admin", password },
  });
  if (login.status !== 200) throw new Error(`The admin could not log in (${login.status})`);
  const admin = apiClient(server.url, { cookie: login.headers.get("set-cookie")?.split(";")[0] ?? "" });
  const configPath = join(data.path, "agent", "config.json");
  const env = { AGENT_CONFIG_PATH: configPath, REDFLAG_STATE_DIR: join(data.path, "agent", "state") };
  return { server, admin, data, configPath, env };
}
