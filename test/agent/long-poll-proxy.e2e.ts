import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AptSandbox } from "../../agent-bun/test/package-managers/apt/apt-sandbox.ts";
import { waitFor } from "../harness/wait-for.ts";
import { requireAgentBinary, runAgent, startDaemon, startServerForAgent } from "./agent-process.ts";
import { startReverseProxy } from "./reverse-proxy.ts";

/**
 * Long polls through a real reverse proxy (nginx), with the compiled agent and the production server.
 * Behind a proxy whose read timeout (3 s) is shorter than a long poll, the agent meets two gateway
 * errors, falls back to plain polling and says so in its log and `--status`, and still runs what it is
 * sent. Behind one that lets long polls through, it long-polls and a command reaches it long before
 * its 300 s poll interval. Against a server with long polls turned off (or from before them), both
 * poll plainly and say why.
 */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 120_000);

/** The server's own limit for this test: shorter than its default, so a held long poll is seen soon. */
const serverLimitSeconds = 20;
const checkIn = "/api/trpc/agent.checkIn";

/**
 * The production server (long polls held up to `longPollSeconds`) behind one nginx with two sites:
 * one cutting requests after 3 s, one waiting 90 s; an agent registered through each, both started.
 * The agent behind the cutting site polls every 20 s (so a command reaches it soon once it polls
 * plainly; its long polls wait 20 s too, never longer than the poll interval), the other every 300 s.
 */
async function agentsBehindProxies(longPollSeconds: number) {
  const sandbox = new AptSandbox([
    { name: "main", suite: "bookworm", label: "RedFlag Test", origin: "RedFlag" },
  ]);
  cleanups.push(() => sandbox.remove());
  sandbox.publish("main");

  const { server, admin, data } = await startServerForAgent("long-poll", cleanups, {
    REDFLAG_LONG_POLL_SECONDS: String(longPollSeconds),
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
  const setUpAgent = async (name: string, serverUrl: string, port: number | undefined) => {
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
    /** The Check-ins line of `--status`. */
    const status = async () => {
      const run = await runAgent(["--status"], env);
      expect(run.exitCode).toBe(0);
      return /^Check-ins: +(.*)$/m.exec(run.stdout)?.[1] ?? `(no Check-ins line in ${run.stdout})`;
    };
    /** The check-ins nginx logged for this agent. */
    const checkIns = () =>
      proxy.requests().filter((request) => request.port === port && request.uri === checkIn);
    /** A scan requested on the dashboard reaches the agent, runs and reports. */
    const scanRuns = async () => {
      const command = await admin.agents.requestCommand.mutate({ agentId, type: "scan" });
      const finished = await waitFor(
        `the scan on ${name}`,
        async () => {
          const current = await admin.commands.get.query({ commandId: command.id });
          return current.status === "succeeded" || current.status === "failed" ? current : undefined;
        },
        60_000,
      );
      expect(finished.status).toBe("succeeded");
    };
    return { agentId, env, status, checkIns, scanRuns };
  };
  const cut = await setUpAgent("cut", cutUrl, cutPort);
  const through = await setUpAgent("through", throughUrl, throughPort);
  expect(await cut.status()).toBe(
    "not known until the daemon checks in (long polls where the server holds them)",
  );
  await admin.agents.configure.mutate({ agentId: cut.agentId, pollIntervalSeconds: serverLimitSeconds });

  const daemons = [startDaemon(cut.env), startDaemon(through.env)] as const;
  cleanups.push(() => Promise.all(daemons.map((daemon) => daemon.stop())));
  // The first answer tells each agent whether the server holds long polls.
  await Promise.all(
    daemons.map((daemon) =>
      daemon.waitForOutput(/Check-ins: (long polls: each|plain polling every \d+ s \()/),
    ),
  );
  return { cut: { ...cut, daemon: daemons[0] }, through: { ...through, daemon: daemons[1] } };
}

type BehindProxy = Awaited<ReturnType<typeof agentsBehindProxies>>["cut"];

/** Plain polling for the reason given: nothing held, nothing cut, and commands still come. */
async function expectPlainPolling(agents: { cut: BehindProxy; through: BehindProxy }, reason: string) {
  expect(await agents.cut.status()).toBe(`plain polling every ${serverLimitSeconds} s (${reason})`);
  expect(await agents.through.status()).toBe(`plain polling every 300 s (${reason})`);
  await agents.cut.scanRuns();
  for (const agent of [agents.cut, agents.through]) {
    expect(agent.checkIns().length).toBeGreaterThanOrEqual(1);
    expect(agent.checkIns().filter((request) => request.status !== 200 || request.seconds >= 2)).toEqual([]);
    expect(agent.daemon.output()).not.toContain("long polls are cut");
  }
}

describe("long polls behind a reverse proxy", () => {
  test("cut by the proxy: plain polling, said in --status; let through: long polls", async () => {
    requireAgentBinary();
    const agents = await agentsBehindProxies(serverLimitSeconds);
    const { cut, through } = agents;
    const plainReason = /plain polling every \d+ s \((.*)\)/.exec(through.daemon.output())?.[1];
    if (plainReason !== undefined) {
      // A server from before long polls: both agents poll plainly, nothing is held, nothing is cut.
      expect(plainReason).toBe("the server does not hold long polls");
      await expectPlainPolling(agents, plainReason);
    } else {
      // 1. The proxy answers each long poll with a 504 after 3 s: after two, the agent polls plainly.
      await cut.daemon.waitForOutput(/Check-ins: long polls are cut after/);
      const cuts = [
        ...cut.daemon.output().matchAll(/A long poll was cut after (\d+) s by a gateway error \(HTTP 504\)/g),
      ];
      expect(cuts).toHaveLength(2);
      // Held for the proxy's 3 s (rounded; a second more when this machine is busy), far from the 20 s wait.
      for (const [, seconds] of cuts) expect([3, 4]).toContain(Number(seconds));
      expect(await cut.status()).toMatch(
        /^long polls are cut after ~[34] s by something between the agent and the server \(a proxy's read timeout\?\), ended by a gateway error \(HTTP 504\); plain polling every 20 s, trying a long poll again at \d{4}-\d\d-\d\dT/,
      );
      // It still checks in and runs what it is sent, with plain check-ins the proxy lets through.
      await cut.scanRuns();
      const seen = cut.checkIns();
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
          through
            .checkIns()
            .some((request) => request.status === 200 && request.seconds >= serverLimitSeconds - 2),
        60_000,
      );
      // Its poll interval is 300 s: a command comes through a long poll, not the next plain poll.
      await through.scanRuns();
      expect(through.checkIns().filter((request) => request.status !== 200)).toEqual([]);
      expect(through.daemon.output()).not.toContain("long polls are cut");
    }
    // Both stop cleanly, the second in the middle of a held long poll.
    expect(await Promise.all([cut.daemon.stop(), through.daemon.stop()])).toEqual([0, 0]);
  }, 300_000);

  test("a server with long polls turned off: both poll plainly and say why", async () => {
    requireAgentBinary();
    const agents = await agentsBehindProxies(0);
    const plainReason = /plain polling every \d+ s \((.*)\)/.exec(agents.through.daemon.output())?.[1];
    // (A server from before long polls says nothing of them: the same, for that reason.)
    expect(["long polls are turned off on the server", "the server does not hold long polls"]).toContain(
      plainReason ?? "(long polls)",
    );
    await expectPlainPolling(agents, plainReason ?? "");
    expect(await Promise.all([agents.cut.daemon.stop(), agents.through.daemon.stop()])).toEqual([0, 0]);
  }, 300_000);
});
