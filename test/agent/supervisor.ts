import { type Subprocess, spawn } from "bun";
import { collectOutput } from "../harness/process-output.ts";
import { waitFor } from "../harness/wait-for.ts";

/** Starts beyond this many end the supervision: a binary that keeps failing shows in `exits`, not as a hang. */
const maxStarts = 10;

/**
 * What systemd's Restart=always does for the agent's service: starts the binary at its install path
 * (daemon mode) and starts it again whenever it exits, until `stop`. Each start runs whatever file
 * is at the path then, so a self-update's swap takes effect at the restart.
 */
export function superviseAgent(binary: string, env: Record<string, string>) {
  let output = "";
  const exits: number[] = [];
  let stopping = false;
  let child: Subprocess;
  const start = () => {
    const started = spawn({ cmd: [binary], env, stdout: "pipe", stderr: "pipe" });
    child = started;
    collectOutput(started, (text) => {
      output += text;
    });
    void started.exited.then((code) => {
      exits.push(code);
      if (!stopping && exits.length < maxStarts) start();
    });
  };
  start();
  return {
    output: () => output,
    /** Exit codes of the runs that ended, in order. */
    exits: () => [...exits],
    waitForOutput: (pattern: RegExp, timeoutMs = 60_000) =>
      waitFor(`agent output ${pattern}`, () => pattern.test(output), timeoutMs).then(() => undefined),
    async stop(): Promise<number> {
      stopping = true;
      const current = child;
      if (current.exitCode === null) current.kill("SIGTERM");
      const exited = await Promise.race([
        current.exited.then(() => true),
        Bun.sleep(30_000).then(() => false),
      ]);
      if (!exited) {
        current.kill("SIGKILL");
        await current.exited;
      }
      return current.exitCode ?? -1;
    },
  };
}
