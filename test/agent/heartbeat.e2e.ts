import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
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

/**
 * Heartbeat while working, with the compiled agent, the production server and real apt/dpkg: an
 * install whose postinst takes longer than three poll intervals keeps the agent online and is leased
 * once; an agent killed mid-install reports the install as interrupted and never runs it again.
 */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 120_000);

const pollSeconds = 5;
/** Longer than three poll intervals: the agent would count as offline if it did not check in meanwhile. */
const slowSeconds = 25;

describe("the agent while a long command runs", () => {
  test("stays online, holds its lease, and runs an install once even across a kill", async () => {
    requireAgentBinary();
    const sandbox = new AptSandbox([
      { name: "main", suite: "bookworm", label: "RedFlag Test", origin: "RedFlag" },
    ]);
    cleanups.push(() => sandbox.remove());
    const runsFile = (name: string) => join(sandbox.fakeRoot, "run", `${name}-postinst-runs`);
    const seeds = ["rf-slow", "rf-killed"].map((name) =>
      sandbox.addPackage("main", { name, version: "1.0-1" }),
    );
    for (const name of ["rf-slow", "rf-killed"]) {
      sandbox.addPackage("main", {
        name,
        version: "1.1-1",
        postinst: `echo ran >> "\${DPKG_ROOT:-}/run/${name}-postinst-runs"\nsleep ${slowSeconds}`,
      });
    }
    sandbox.publish("main");
    for (const seed of seeds) sandbox.seed(seed);

    const { server, admin, configPath, env } = await startServerForAgent("heartbeat", cleanups);
    await Bun.write(
      configPath,
      JSON.stringify({ pollJitterSeconds: 0, apt: { configFile: sandbox.configFile } }),
    );
    const registration = await admin.registrationTokens.create.mutate({ label: "heartbeat e2e", seats: 1 });
    const registered = await runAgent(
      ["--register", "--server", server.url, "--token", registration.token],
      env,
    );
    expect(registered.exitCode).toBe(0);
    const agentId = /Registered as (agt_\w+)/.exec(registered.stdout)?.[1] ?? "";
    await admin.agents.configure.mutate({ agentId, pollIntervalSeconds: pollSeconds });

    let daemon: Daemon = startDaemon(env);
    cleanups.push(() => daemon.stop());
    const reported = await waitFor("both updates on the server", async () => {
      const list = await admin.updates.list.query({ agentId });
      return list.items.length === 2 ? list.items : undefined;
    });
    const updateOf = (name: string) => {
      const update = reported.find((item) => item.packageName === name);
      if (!update) throw new Error(`${name} was not reported`);
      return update;
    };

    // 1. A long install: the agent keeps checking in while dpkg runs the slow postinst.
    const slow = updateOf("rf-slow");
    await admin.updates.approve.mutate({ updateIds: [slow.id] });
    const [slowCommand = ""] = (await admin.updates.install.mutate({ updateIds: [slow.id] })).commandIds;
    await waitFor("the slow postinst to start", () => existsSync(runsFile("rf-slow")), 60_000);
    const checkInsSeen = new Set<number>();
    let offlineSeen = false;
    await waitFor(
      "the slow install to finish",
      async () => {
        const [agent, command] = await Promise.all([
          admin.agents.get.query({ agentId }),
          admin.commands.get.query({ commandId: slowCommand }),
        ]);
        if (command.status === "succeeded" || command.status === "failed") return command;
        if (!agent.online) offlineSeen = true;
        if (agent.lastCheckInAt) checkInsSeen.add(agent.lastCheckInAt.getTime());
        await Bun.sleep(500);
        return undefined;
      },
      120_000,
    );
    const finished = await admin.commands.get.query({ commandId: slowCommand });
    expect(finished.status).toBe("succeeded");
    expect(offlineSeen).toBe(false);
    // The postinst ran for more than three poll intervals; the agent checked in again and again meanwhile.
    expect(checkInsSeen.size).toBeGreaterThanOrEqual(3);
    expect(finished.attempt).toBe(1);
    expect(finished.logs.filter((log) => log.kind === "leased")).toHaveLength(1);
    expect(finished.logs.filter((log) => log.kind === "result")).toHaveLength(1);
    expect(readFileSync(runsFile("rf-slow"), "utf8")).toBe("ran\n");
    expect(sandbox.installedVersion("rf-slow")).toBe("1.1-1");

    // 2. The agent is killed while an install runs: at its next start it reports the install as
    // interrupted and does not run it again.
    const killed = updateOf("rf-killed");
    await admin.updates.approve.mutate({ updateIds: [killed.id] });
    const [killedCommand = ""] = (await admin.updates.install.mutate({ updateIds: [killed.id] })).commandIds;
    await waitFor("the second postinst to start", () => existsSync(runsFile("rf-killed")), 60_000);
    daemon.process.kill("SIGKILL");
    await daemon.process.exited;
    // dpkg, left behind by the killed agent, finishes on its own (systemd would have stopped it too).
    await waitFor(
      "the orphaned dpkg to finish",
      () => sandbox.installedVersion("rf-killed") === "1.1-1",
      90_000,
    );
    daemon = startDaemon(env);
    const interrupted = await waitFor("the interrupted install's result", async () => {
      const command = await admin.commands.get.query({ commandId: killedCommand });
      return command.status === "failed" ? command : undefined;
    });
    expect(interrupted.output).toContain("Interrupted: the agent stopped while this install ran");
    expect(interrupted.output).toContain("It was not run again");
    expect(interrupted.result).toEqual({ notRun: "interrupted" });
    expect(interrupted.logs.filter((log) => log.kind === "leased")).toHaveLength(1);
    await daemon.waitForOutput(/was interrupted when the agent stopped/);
    // A few more check-ins: nothing runs the install again.
    const checkedInAt = (await admin.agents.get.query({ agentId })).lastCheckInAt?.getTime() ?? 0;
    await waitFor(
      "two more check-ins",
      async () =>
        ((await admin.agents.get.query({ agentId })).lastCheckInAt?.getTime() ?? 0) >
        checkedInAt + pollSeconds * 1000,
      60_000,
    );
    expect(readFileSync(runsFile("rf-killed"), "utf8")).toBe("ran\n");
    expect(await daemon.stop()).toBe(0);
  }, 300_000);
});
