/**
 * Failover end to end (docs/failover.md): two production servers (`next start`) on one throwaway
 * PostgreSQL, and two compiled linux-x64 agents registered with both URLs through the CLI, each on
 * real apt and dpkg in its own isolated root, spread over the servers: alpha prefers the first,
 * beta the second. An install runs while alpha is on the first server; the first is killed
 * (SIGKILL) in the middle of alpha's second install, whose result then reaches the second server;
 * the agent's access token is refused on the second and renewed there with the refresh token the
 * first issued; a third update is approved and installed through the second alone; the first is
 * started again at its URL and alpha goes back to it; beta stays on the second throughout. Every install
 * command runs once: the database's commands and their logs, each agent's ledger and apt's history agree. Needs PostgreSQL (scripts/with-postgres.sh), `bun run build`
 * and `bun run build:agents`.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { idSchema } from "@redflag/contracts";
import postgres from "postgres";
import { AptSandbox } from "../../agent-bun/test/package-managers/apt/apt-sandbox.ts";
import {
  type NextServer,
  serverDatabaseEnvironment,
  startNextServer,
  temporaryDirectory,
} from "../e2e/next-server.ts";
import { testEnvironment } from "../harness/environment.ts";
import { apiClient, rawCall } from "../harness/server.ts";
import { waitFor } from "../harness/wait-for.ts";
import { outboxFiles, requireAgentBinary, runAgent, startDaemon } from "./agent-process.ts";

const postgresUrl = testEnvironment.postgresUrl;
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

const password = "failover e2e admin password";
const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("failover between two production servers on one PostgreSQL, with the compiled agent", () => {
  test("the first server killed: its agent carries on with the second, every install once, and goes back to the first", async () => {
    if (!postgresUrl)
      throw new Error("Failover needs two servers on one PostgreSQL: run under scripts/with-postgres.sh");
    requireAgentBinary();
    const data = temporaryDirectory("redflag-failover-e2e-");
    cleanups.push(data.remove);

    /** An isolated apt world with each package at 1.0-1 installed and 1.1-1 available. */
    const aptWorld = (packages: { name: string; postinst?: string }[]) => {
      const sandbox = new AptSandbox([
        { name: "main", suite: "bookworm", label: "RedFlag Test", origin: "RedFlag" },
      ]);
      cleanups.push(() => {
        sandbox.remove();
      });
      const seeds = packages.map(({ name }) => sandbox.addPackage("main", { name, version: "1.0-1" }));
      for (const { name, postinst } of packages)
        sandbox.addPackage("main", { name, version: "1.1-1", ...(postinst ? { postinst } : {}) });
      sandbox.publish("main");
      for (const seed of seeds) sandbox.seed(seed);
      return sandbox;
    };
    const installing = join(data.path, "rf-two.installing");
    const alphaApt = aptWorld([
      { name: "rf-one" },
      // Long enough to kill the first server while it installs.
      { name: "rf-two", postinst: `touch '${installing}'\nsleep 6` },
      { name: "rf-three" },
    ]);
    const betaApt = aptWorld([{ name: "rf-four" }]);

    const database = await serverDatabaseEnvironment(postgresUrl, cleanups, "redflag-failover-");
    const environment = {
      ...database,
      REDFLAG_SECRET: "failover-e2e-secret-failover-e2e-secret-0123",
      REDFLAG_ADMIN_USER: "admin",
      REDFLAG_ADMIN_PASSWORD: password,
    };
    const databaseUrl = database.DATABASE_URL;
    if (!databaseUrl) throw new Error("no DATABASE_URL for the servers");
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    cleanups.push(() => sql.end());
    let first: NextServer = await startNextServer(environment);
    cleanups.push(() => first.stop());
    const second = await startNextServer(environment);
    cleanups.push(() => second.stop());
    const firstPort = Number(new URL(first.url).port);

    // The admin works on the second server throughout: the first goes away.
    const login = await rawCall(second.url, "auth.login", {
      type: "mutation",
      input: { username: "admin", password },
    });
    expect(login.status).toBe(200);
    const admin = apiClient(second.url, { cookie: login.headers.get("set-cookie")?.split(";")[0] ?? "" });
    const registration = await admin.registrationTokens.create.mutate({ label: "failover", seats: 2 });
    const { activeFingerprint } = await admin.signingKeys.current.query();

    /** An agent registered through the CLI with `urls` (the preferred first), running as a daemon. */
    const startAgent = async (name: string, sandbox: AptSandbox, urls: string[]) => {
      const configPath = join(data.path, name, "config.json");
      const stateDirectory = join(data.path, name, "state");
      const env = { AGENT_CONFIG_PATH: configPath, REDFLAG_STATE_DIR: stateDirectory };
      await Bun.write(
        configPath,
        JSON.stringify({
          pollJitterSeconds: 0,
          longPollMaxSeconds: 5,
          serverProbeSeconds: 5,
          apt: {
            configFile: sandbox.configFile,
            rebootRequiredFile: join(sandbox.fakeRoot, "run/reboot-required"),
          },
        }),
      );
      const registered = await runAgent(
        [
          "--register",
          ...urls.flatMap((url) => ["--server", url]),
          "--token",
          registration.token,
          "--fingerprint",
          activeFingerprint,
        ],
        env,
      );
      expect(registered.stderr).toBe("");
      expect(registered.exitCode).toBe(0);
      expect(registered.stdout).toContain(`with ${urls.join(", ")}`);
      const agentId = idSchema("agent").parse(/Registered as (agt_\w+)/.exec(registered.stdout)?.[1]);
      const saved = JSON.parse(readFileSync(configPath, "utf8"));
      expect(saved).toMatchObject({ serverUrl: urls[0], serverUrls: urls });
      const daemon = startDaemon(env);
      cleanups.push(async () => {
        await daemon.stop();
      });
      /** `--status`'s server line. */
      const status = async () => {
        const run = await runAgent(["--status"], env);
        expect(run.exitCode).toBe(0);
        return /^Server: +(.*)$/m.exec(run.stdout)?.[1] ?? "";
      };
      const ledger = () =>
        JSON.parse(readFileSync(join(stateDirectory, "commands.json"), "utf8")) as {
          running: unknown[];
          finished: { id: string }[];
        };
      return { name, agentId, configPath, stateDirectory, daemon, status, ledger, sandbox };
    };
    type Agent = Awaited<ReturnType<typeof startAgent>>;
    const alpha = await startAgent("alpha", alphaApt, [first.url, second.url]);
    const beta = await startAgent("beta", betaApt, [second.url, first.url]);

    const updateOf = (agent: Agent, name: string) =>
      waitFor(`the update of ${name} on ${agent.name}`, async () =>
        (await admin.updates.list.query({ agentId: agent.agentId })).items.find(
          (item) => item.packageName === name,
        ),
      );
    const install = async (agent: Agent, name: string) => {
      const update = await updateOf(agent, name);
      await admin.updates.approve.mutate({ updateIds: [update.id] });
      const { commandIds } = await admin.updates.install.mutate({ updateIds: [update.id] });
      const [commandId] = commandIds;
      if (!commandId || commandIds.length !== 1)
        throw new Error(`not one install command: ${commandIds.join(", ")}`);
      return commandId;
    };
    const installed = async (agent: Agent, name: string) => {
      const update = await updateOf(agent, name);
      await waitFor(
        `${name} installed on ${agent.name}`,
        async () => {
          const list = await admin.updates.list.query({ agentId: agent.agentId });
          return list.items.find((item) => item.id === update.id)?.status === "installed";
        },
        120_000,
      );
    };

    // Spread over both: alpha on the first, beta on the second, as each prefers.
    await install(alpha, "rf-one");
    await installed(alpha, "rf-one");
    expect(alphaApt.installedVersion("rf-one")).toBe("1.1-1");
    expect(await alpha.status()).toStartWith(`${first.url}, server 1 of 2`);
    await waitFor("beta on the second", async () =>
      (await beta.status()).startsWith(`${second.url}, server 1 of 2`),
    );

    // The first server dies while alpha installs rf-two: the result reaches the second.
    const twoCommand = await install(alpha, "rf-two");
    await waitFor("rf-two installing on alpha", () => existsSync(installing), 120_000);
    first.process.kill("SIGKILL");
    await first.process.exited;
    expect(
      await fetch(`${first.url}/api/health`).then(
        () => "answered",
        () => "refused",
      ),
    ).toBe("refused");
    await installed(alpha, "rf-two");
    await alpha.daemon.waitForOutput(
      new RegExp(literally(`Switched server from ${first.url} to ${second.url}`)),
    );
    expect(await alpha.status()).toStartWith(`${second.url}, server 2 of 2 since `);
    // The result written to the outbox while the first went away was taken by the second.
    await waitFor("alpha's outbox empty", () => outboxFiles(alpha.stateDirectory).length === 0);

    // Token renewal on the second with the refresh token the first issued: alpha's access tokens are
    // refused from now on (a raised token generation), so its next call is an UNAUTHORIZED there.
    const refreshTokenOf = () =>
      JSON.parse(readFileSync(alpha.configPath, "utf8")).registration.refreshToken as string;
    const before = refreshTokenOf();
    await sql`update agents set token_generation = token_generation + 1 where id = ${alpha.agentId}`;
    const renewed = await waitFor("alpha's tokens renewed", () => {
      const token = refreshTokenOf();
      return token !== before ? token : undefined;
    });
    expect(renewed).toStartWith("rf_rt_");
    const refreshTokens = await sql<{ used: boolean; revoked: boolean }[]>`
      select used_at is not null as used, revoked_at is not null as revoked
      from agent_refresh_tokens where agent_id = ${alpha.agentId} order by created_at`;
    expect([...refreshTokens]).toEqual([
      { used: true, revoked: false },
      { used: false, revoked: false },
    ]);

    // With the first still down, new installs go through the second alone, for both agents.
    const threeCommand = await install(alpha, "rf-three");
    const fourCommand = await install(beta, "rf-four");
    await installed(alpha, "rf-three");
    await installed(beta, "rf-four");
    expect(alphaApt.installedVersion("rf-two")).toBe("1.1-1");
    expect(alphaApt.installedVersion("rf-three")).toBe("1.1-1");
    expect(betaApt.installedVersion("rf-four")).toBe("1.1-1");
    // The UNAUTHORIZED answer came from a live server: alpha stayed on the second.
    expect(alpha.daemon.output()).not.toContain(`Switched server from ${second.url}`);

    // The first again, at its URL: alpha goes back to it; beta stays on the second, its first.
    first = await startNextServer(environment, { port: firstPort });
    await alpha.daemon.waitForOutput(
      new RegExp(
        literally(
          `Switched server from ${second.url} to ${first.url}: the first server, ${first.url}, answers again`,
        ),
      ),
      120_000,
    );
    await waitFor("alpha's --status on the first server", async () =>
      (await alpha.status()).startsWith(`${first.url}, server 1 of 2 since `),
    );
    expect(await beta.status()).toStartWith(`${second.url}, server 1 of 2`);
    expect(beta.daemon.output()).not.toContain("Switched server");

    // Every install ran once: on the server, in each agent's ledger, and in apt's history.
    const commandIdsOf = async (agent: Agent) => {
      const commands = await admin.commands.list.query({ agentId: agent.agentId, types: ["install"] });
      expect(new Set(commands.items.map((command) => command.status))).toEqual(new Set(["succeeded"]));
      return commands.items.map((command) => command.id).sort();
    };
    const alphaCommands = await commandIdsOf(alpha);
    expect(alphaCommands).toHaveLength(3);
    expect(alphaCommands).toContain(twoCommand);
    expect(alphaCommands).toContain(threeCommand);
    expect(await commandIdsOf(beta)).toEqual([fourCommand]);
    for (const [agent, commandIds, packages] of [
      [alpha, alphaCommands, ["rf-one", "rf-two", "rf-three"]],
      [beta, [fourCommand], ["rf-four"]],
    ] as const) {
      const ledger = agent.ledger();
      expect(ledger.running).toEqual([]);
      expect(ledger.finished.map((entry) => entry.id).sort()).toEqual([...commandIds]);
      const history = readFileSync(join(agent.sandbox.directory, "log", "history.log"), "utf8");
      // One apt run per install, each upgrading its package once (apt names the arch of an "all" package).
      expect(history.match(/^Upgrade: /gm)).toHaveLength(packages.length);
      for (const name of packages)
        expect(history.match(new RegExp(`\\b${name}:[a-z0-9]+ \\(1\\.0-1, 1\\.1-1\\)`, "g"))).toHaveLength(1);
    }
    // In the database: each install command handed out once, run in one attempt and reported once.
    const counts = await sql<{ id: string; attempt: number; leased: number; results: number }[]>`
      select commands.id, commands.attempt,
        count(*) filter (where command_logs.kind = 'leased')::int as leased,
        count(*) filter (where command_logs.kind = 'result')::int as results
      from commands left join command_logs on command_logs.command_id = commands.id
      where commands.agent_id in (${alpha.agentId}, ${beta.agentId}) and commands.type = 'install'
      group by commands.id, commands.attempt`;
    expect(counts.map((row) => row.id).sort()).toEqual([...alphaCommands, fourCommand].sort());
    for (const row of counts) expect(row).toMatchObject({ attempt: 1, leased: 1, results: 1 });
    for (const agent of [alpha, beta]) {
      expect(agent.daemon.output()).not.toContain("handed out again");
      expect(await agent.daemon.stop()).toBe(0);
    }
  }, 600_000);
});
