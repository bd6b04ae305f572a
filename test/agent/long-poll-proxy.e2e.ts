import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AptSandbox } from "../../agent-bun/test/package-managers/apt/apt-sandbox.ts";
import { waitFor } from "../harness/wait-for.ts";
import {
  type Daemon,
  requireAgentBinary,
  runAgent,
  startDaemon,
  startServerForAgent,
} from "./agent-process.ts";
import { startReverseProxy } from "./reverse-proxy.ts";

/**
 * Long polls through a real reverse proxy (nginx), with the compiled agent and the production server.
 * Behind a proxy whose read timeout (3 s) is shorter than a long poll, the agent meets two gateway
 * errors, falls back to plain polling and says so in its log and `--status`, and still runs what it is
 * sent. Behind one that lets long polls through, it long-polls and a command reaches it long before
 * its 300 s poll interval. Against a server without long polls, both poll plainly and say why.
 */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 120_000);

/** The server's own limit for this test: shorter than its default, so a held long poll is seen soon. */
const serverLimitSeconds = 20;
const checkIn = "/api/trpc/agent.checkIn";

describe("long polls behind a reverse proxy", () => {
  test("cut by the proxy: plain polling, said in --status; let through: long polls", async () => {
    requireAgentBinary();
    const sandbox = new AptSandbox([
      { name: "main", suite: "bookworm", label: "RedFlag Test", origin: "RedFlag" },
    ]);
    cleanups.push(() => sandbox.remove());
    sandbox.publish("main");

    const { server, admin, data } = await startServerForAgent("long-poll", cleanups, {
      REDFLAG_LONG_POLL_SECONDS: String(serverLimitSeconds),
    });
    const proxy = await startReverseProxy(server.url, join(data.path, "nginx"), [
      { readTimeoutSeconds: 3 },
      { readTimeoutSeconds: 90 },
    ]);
    cleanups.push(() => proxy.stop());
    const [cutUrl = "", throughUrl = ""] = proxy.urls;
    const [cutPort, throughPort] = proxy.ports;

    const registration = await admin.registrationTokens.create.mutate({ label: "long-poll e2e", seats: 2 });
    /** An agent with its own config and state, registered through `serverUrl`. */
    const setUpAgent = async (name: string, serverUrl: string) => {
      const directory = join(data.path, name);
      mkdirSync(directory, { recursive: true });
      const env = {
        AGENT_CONFIG_PATH: join(directory, "config.json"),
        REDFLAG_STATE_DIR: join(directory, "state"),
      };
      await Bun.write(
        env.AGENT_CONFIG_PATH,
        JSON.stringify({
          pollJitterSeconds: 0,
          apt: { configFile: sandbox.configFile },
          dnf: { enabled: false },
          docker: { enabled: false },
        }),
      );
      const registered = await runAgent(
        ["--register", "--server", serverUrl, "--token", registration.token],
        env,
      );
      expect(registered.exitCode).toBe(0);
      const agentId = /Registered as (agt_\w+)/.exec(registered.stdout)?.[1] ?? "";
      const status = async () => {
        const run = await runAgent(["--status"], env);
        expect(run.exitCode).toBe(0);
        return /^Check-ins: +(.*)$/m.exec(run.stdout)?.[1] ?? `(no Check-ins line in ${run.stdout})`;
      };
      return { agentId, env, status };
    };
    const cut = await setUpAgent("cut", cutUrl);
    const through = await setUpAgent("through", throughUrl);
    expect(await cut.status()).toBe(
      "not known until the daemon checks in (long polls where the server holds them)",
    );
    // The agent behind the cutting proxy polls every 20 s once it falls back, so its commands come soon
    // (its long polls wait 20 s too: never longer than the poll interval).
    await admin.agents.configure.mutate({ agentId: cut.agentId, pollIntervalSeconds: serverLimitSeconds });

    const daemons: Daemon[] = [startDaemon(cut.env), startDaemon(through.env)];
    cleanups.push(() => Promise.all(daemons.map((daemon) => daemon.stop())));
    const [cutDaemon, throughDaemon] = daemons as [Daemon, Daemon];
    // The first answer tells each agent whether the server holds long polls.
    await Promise.all(
      daemons.map((daemon) =>
        daemon.waitForOutput(
          /Check-ins: (long polls: each|plain polling every \d+ s \(the server does not hold)/,
        ),
      ),
    );
    const checkIns = (port: number | undefined) =>
      proxy.requests().filter((request) => request.port === port && request.uri === checkIn);

    /** A scan requested on the dashboard reaches the agent, runs and reports. */
    const scanRuns = async (agentId: string) => {
      const command = await admin.agents.requestCommand.mutate({ agentId, type: "scan" });
      const finished = await waitFor(
        `the scan on ${agentId}`,
        async () => {
          const current = await admin.commands.get.query({ commandId: command.id });
          return current.status === "succeeded" || current.status === "failed" ? current : undefined;
        },
        60_000,
      );
      expect(finished.status).toBe("succeeded");
    };

    if (/the server does not hold long polls/.test(throughDaemon.output())) {
      // A server from before long polls: both agents poll plainly, nothing is held, nothing is cut.
      expect(await cut.status()).toBe(
        `plain polling every ${serverLimitSeconds} s (the server does not hold long polls)`,
      );
      expect(await through.status()).toBe("plain polling every 300 s (the server does not hold long polls)");
      await scanRuns(cut.agentId);
      expect(checkIns(cutPort).every((request) => request.status === 200)).toBe(true);
      expect(cutDaemon.output()).not.toContain("long polls are cut");
    } else {
      // 1. The proxy answers each long poll with a 504 after 3 s: after two, the agent polls plainly.
      await cutDaemon.waitForOutput(/Check-ins: long polls are cut after/);
      const cuts = [
        ...cutDaemon.output().matchAll(/A long poll was cut after (\d+) s by a gateway error \(HTTP 504\)/g),
      ];
      expect(cuts).toHaveLength(2);
      // Held for the proxy's 3 s (rounded; a second more when this machine is busy), far from the 20 s wait.
      for (const [, seconds] of cuts) expect([3, 4]).toContain(Number(seconds));
      expect(await cut.status()).toMatch(
        /^long polls are cut after ~[34] s by something between the agent and the server \(a proxy's read timeout\?\), ended by a gateway error \(HTTP 504\); plain polling every 20 s, trying a long poll again at \d{4}-\d\d-\d\dT/,
      );
      // It still checks in and runs what it is sent, with plain check-ins the proxy lets through.
      await scanRuns(cut.agentId);
      const seen = checkIns(cutPort);
      expect(seen.filter((request) => request.status === 504)).toHaveLength(2);
      expect(seen.filter((request) => request.status === 200).length).toBeGreaterThanOrEqual(2);
      expect(seen.filter((request) => request.status !== 200 && request.status !== 504)).toEqual([]);

      // 2. Through the proxy that waits long enough, long polls are held by the server and answered.
      expect(await through.status()).toBe(
        `long polls: each check-in waits up to ${serverLimitSeconds} s for a command (the server holds them up to ${serverLimitSeconds} s)`,
      );
      await waitFor(
        "a long poll held by the server and answered through the proxy",
        () =>
          checkIns(throughPort).some(
            (request) => request.status === 200 && request.seconds >= serverLimitSeconds - 2,
          ),
        60_000,
      );
      // Its poll interval is 300 s: a command comes through a long poll, not the next plain poll.
      await scanRuns(through.agentId);
      expect(checkIns(throughPort).filter((request) => request.status !== 200)).toEqual([]);
      expect(throughDaemon.output()).not.toContain("long polls are cut");
    }
    // Both stop cleanly, the second in the middle of a held long poll.
    expect(await Promise.all(daemons.map((daemon) => daemon.stop()))).toEqual([0, 0]);
  }, 300_000);
});
