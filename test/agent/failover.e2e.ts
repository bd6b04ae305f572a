/**
 * Failover end to end (docs/failover.md): two production servers (`next start`) on one throwaway
 * PostgreSQL, and the compiled linux-x64 agent registered with both URLs through its CLI, on real apt
 * and dpkg in an isolated root. An install runs while the agent is on the first server; the first is
 * killed (SIGKILL) in the middle of a second install, whose result then reaches the second server;
 * the agent's access token is refused on the second and renewed there with the refresh token the
 * first issued; a third update is approved and installed through the second alone; the first is
 * started again at its URL and the agent goes back to it. Every install command runs once: the
 * database's commands and their logs, the agent's ledger and apt's history agree. Needs PostgreSQL (scripts/with-postgres.sh), `bun run build`
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
  test("the first server killed: the agent carries on with the second, every install once, and goes back to the first", async () => {
    if (!postgresUrl)
      throw new Error("Failover needs two servers on one PostgreSQL: run under scripts/with-postgres.sh");
    requireAgentBinary();
    const data = temporaryDirectory("redflag-failover-e2e-");
    cleanups.push(data.remove);

    const sandbox = new AptSandbox([
      { name: "main", suite: "bookworm", label: "RedFlag Test", origin: "RedFlag" },
    ]);
    cleanups.push(() => {
      sandbox.remove();
    });
    const installing = join(data.path, "rf-two.installing");
    const seeds = ["rf-one", "rf-two", "rf-three"].map((name) =>
      sandbox.addPackage("main", { name, version: "1.0-1" }),
    );
    sandbox.addPackage("main", { name: "rf-one", version: "1.1-1" });
    // Long enough to kill the first server while it installs.
    sandbox.addPackage("main", {
      name: "rf-two",
      version: "1.1-1",
      postinst: `touch '${installing}'\nsleep 6`,
    });
    sandbox.addPackage("main", { name: "rf-three", version: "1.1-1" });
    sandbox.publish("main");
    for (const seed of seeds) sandbox.seed(seed);

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

    const configPath = join(data.path, "agent", "config.json");
    const stateDirectory = join(data.path, "agent", "state");
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
    const registration = await admin.registrationTokens.create.mutate({ label: "failover", seats: 1 });
    const { activeFingerprint } = await admin.signingKeys.current.query();
    const registered = await runAgent(
      [
        "--register",
        "--server",
        first.url,
        "--server",
        second.url,
        "--token",
        registration.token,
        "--fingerprint",
        activeFingerprint,
      ],
      env,
    );
    expect(registered.stderr).toBe("");
    expect(registered.exitCode).toBe(0);
    expect(registered.stdout).toContain(`with ${first.url}, ${second.url}`);
    const agentId = idSchema("agent").parse(/Registered as (agt_\w+)/.exec(registered.stdout)?.[1]);
    const saved = JSON.parse(readFileSync(configPath, "utf8"));
    expect(saved).toMatchObject({ serverUrl: first.url, serverUrls: [first.url, second.url] });

    const daemon = startDaemon(env);
    cleanups.push(async () => {
      await daemon.stop();
    });
    const updates = await waitFor("three updates on the server", async () => {
      const list = await admin.updates.list.query({ agentId });
      return list.items.length === 3 ? list.items : undefined;
    });
    const updateOf = (name: string) => {
      const update = updates.find((item) => item.packageName === name);
      if (!update) throw new Error(`no update for ${name}`);
      return update;
    };
    const install = async (name: string) => {
      const update = updateOf(name);
      await admin.updates.approve.mutate({ updateIds: [update.id] });
      const { commandIds } = await admin.updates.install.mutate({ updateIds: [update.id] });
      const [commandId] = commandIds;
      if (!commandId || commandIds.length !== 1)
        throw new Error(`not one install command: ${commandIds.join(", ")}`);
      return commandId;
    };
    const installed = (name: string) =>
      waitFor(
        `${name} installed on the server`,
        async () => {
          const list = await admin.updates.list.query({ agentId });
          return list.items.find((item) => item.id === updateOf(name).id)?.status === "installed"
            ? true
            : undefined;
        },
        120_000,
      );
    const status = async () => {
      const run = await runAgent(["--status"], env);
      expect(run.exitCode).toBe(0);
      return /^Server: +(.*)$/m.exec(run.stdout)?.[1] ?? "";
    };

    // On the first server, as configured.
    await install("rf-one");
    await installed("rf-one");
    expect(sandbox.installedVersion("rf-one")).toBe("1.1-1");
    expect(await status()).toStartWith(`${first.url}, server 1 of 2`);

    // The first server dies while the agent installs rf-two: the result reaches the second.
    const twoCommand = await install("rf-two");
    await waitFor("rf-two installing on the agent", () => existsSync(installing), 120_000);
    first.process.kill("SIGKILL");
    await first.process.exited;
    expect(
      await fetch(`${first.url}/api/health`).then(
        () => "answered",
        () => "refused",
      ),
    ).toBe("refused");
    await installed("rf-two");
    await daemon.waitForOutput(new RegExp(literally(`Switched server from ${first.url} to ${second.url}`)));
    expect(await status()).toStartWith(`${second.url}, server 2 of 2 since `);
    // The result written to the outbox while the first went away was taken by the second.
    await waitFor("an empty outbox", () => outboxFiles(stateDirectory).length === 0);

    // Token renewal on the second with the refresh token the first issued: its access tokens are
    // refused from now on (a raised token generation), so its next call is an UNAUTHORIZED there.
    const before = JSON.parse(readFileSync(configPath, "utf8")).registration.refreshToken as string;
    await sql`update agents set token_generation = token_generation + 1 where id = ${agentId}`;
    const renewed = await waitFor("the agent's tokens renewed", () => {
      const token = JSON.parse(readFileSync(configPath, "utf8")).registration.refreshToken as string;
      return token !== before ? token : undefined;
    });
    expect(renewed).toStartWith("rf_rt_");
    const refreshTokens = await sql<{ used: boolean; revoked: boolean }[]>`
      select used_at is not null as used, revoked_at is not null as revoked
      from agent_refresh_tokens where agent_id = ${agentId} order by created_at`;
    expect([...refreshTokens]).toEqual([
      { used: true, revoked: false },
      { used: false, revoked: false },
    ]);

    // With the first still down, a new install goes through the second alone.
    const threeCommand = await install("rf-three");
    await installed("rf-three");
    expect(sandbox.installedVersion("rf-two")).toBe("1.1-1");
    expect(sandbox.installedVersion("rf-three")).toBe("1.1-1");
    // The UNAUTHORIZED answer came from a live server: the agent stayed on the second.
    expect(daemon.output()).not.toContain(`Switched server from ${second.url}`);

    // The first again, at its URL: the agent goes back to it.
    first = await startNextServer(environment, { port: firstPort });
    await daemon.waitForOutput(
      new RegExp(
        literally(
          `Switched server from ${second.url} to ${first.url}: the first server, ${first.url}, answers again`,
        ),
      ),
      120_000,
    );
    await waitFor("--status on the first server", async () =>
      (await status()).startsWith(`${first.url}, server 1 of 2 since `) ? true : undefined,
    );

    // Every install ran once: on the server, in the agent's ledger, and in apt's history.
    const commands = await admin.commands.list.query({ agentId, types: ["install"] });
    expect(commands.items.map((command) => command.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    const commandIds = commands.items.map((command) => command.id).sort();
    expect(commandIds).toContain(twoCommand);
    expect(commandIds).toContain(threeCommand);
    const ledger = JSON.parse(readFileSync(join(stateDirectory, "commands.json"), "utf8")) as {
      running: unknown[];
      finished: { id: string }[];
    };
    expect(ledger.running).toEqual([]);
    expect(ledger.finished.map((entry) => entry.id).sort()).toEqual(commandIds);
    const history = readFileSync(join(sandbox.directory, "log", "history.log"), "utf8");
    // One apt run per install, each upgrading its package once (apt names the arch of an "all" package).
    expect(history.match(/^Upgrade: /gm)).toHaveLength(3);
    for (const name of ["rf-one", "rf-two", "rf-three"])
      expect(history.match(new RegExp(`\\b${name}:[a-z0-9]+ \\(1\\.0-1, 1\\.1-1\\)`, "g"))).toHaveLength(1);
    // In the database: each install command handed out once, run in one attempt and reported once.
    const counts = await sql<{ id: string; attempt: number; leased: number; results: number }[]>`
      select commands.id, commands.attempt,
        count(*) filter (where command_logs.kind = 'leased')::int as leased,
        count(*) filter (where command_logs.kind = 'result')::int as results
      from commands left join command_logs on command_logs.command_id = commands.id
      where commands.agent_id = ${agentId} and commands.type = 'install'
      group by commands.id, commands.attempt`;
    expect(counts.map((row) => row.id).sort()).toEqual(commandIds);
    for (const row of counts) expect(row).toMatchObject({ attempt: 1, leased: 1, results: 1 });
    expect(daemon.output()).not.toContain("handed out again");
    expect(await daemon.stop()).toBe(0);
  }, 600_000);
});
