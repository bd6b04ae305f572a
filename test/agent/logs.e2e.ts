/**
 * The logs end to end: the production server (embedded PGlite, JSON log lines on stdout) and the
 * compiled linux-x64 agent on real apt in an isolated root. One install is followed by its command id
 * through both outputs; the server's debug mode flips its level at runtime and reaches the agent at its
 * next check-in, and goes away again; and no secret the run created appears in either output.
 * Needs `bun run build` and `bun run build:agents`.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { idSchema } from "@redflag/contracts";
import { AptSandbox } from "../../agent-bun/test/package-managers/apt/apt-sandbox.ts";
import { apiClient, rawCall } from "../harness/server.ts";
import { waitFor } from "../harness/wait-for.ts";
import { requireAgentBinary, runAgent, startDaemon, startServerForAgent } from "./agent-process.ts";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

type ServerLine = { level: string; logger: string; message: string; properties: Record<string, unknown> };

/**
 * The server's JSON log lines in `text`: Next's own few plain lines, and a line cut by where `text`
 * starts or ends, are skipped.
 */
function serverLines(text: string): ServerLine[] {
  const lines: ServerLine[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith('{"@timestamp"')) continue;
    try {
      lines.push(JSON.parse(line) as ServerLine);
    } catch {
      // cut at either end
    }
  }
  return lines;
}

/** The agent's debug lines in `text` (LogTape's text format: `… [DBG] redflag·transport: …`). */
function agentDebugLines(text: string): string[] {
  return text.split("\n").filter((line) => line.includes("[DBG]"));
}

describe("logs of the compiled agent and the production server", () => {
  test("an install followed by its command id on both sides; debug mode on and off; no secret logged", async () => {
    requireAgentBinary();
    const sandbox = new AptSandbox([
      { name: "main", suite: "bookworm", label: "RedFlag Test", origin: "RedFlag" },
    ]);
    cleanups.push(() => sandbox.remove());
    const seed = sandbox.addPackage("main", { name: "rf-logged", version: "1.0-1" });
    sandbox.addPackage("main", { name: "rf-logged", version: "1.1-1" });
    sandbox.publish("main");
    sandbox.seed(seed);

    const { server, admin, configPath, env } = await startServerForAgent("logs", cleanups, {
      REDFLAG_LOG_FORMAT: "json",
    });
    // Every secret this run creates, to look for in both outputs at the end.
    const secrets: Record<string, string> = { adminPassword: "logs e2e admin password" };
    const login = await rawCall(server.url, "auth.login", {
      type: "mutation",
      input: { username: "admin", password: secrets.adminPassword },
    });
    const cookie = login.headers.get("set-cookie")?.split(";")[0] ?? "";
    secrets.sessionCookie = cookie.slice(cookie.indexOf("=") + 1);
    expect(secrets.sessionCookie.length).toBeGreaterThan(10);
    const apiToken = await admin.apiTokens.create.mutate({
      name: "logs e2e",
      role: "viewer",
      expiresInDays: 1,
    });
    secrets.apiToken = apiToken.token;
    // Used once, so it crossed the server's request path.
    expect((await apiClient(server.url, { token: apiToken.token }).agents.list.query({})).items).toEqual([]);

    await Bun.write(
      configPath,
      JSON.stringify({ pollJitterSeconds: 0, apt: { configFile: sandbox.configFile } }),
    );
    const registration = await admin.registrationTokens.create.mutate({ label: "logs", seats: 1 });
    secrets.registrationToken = registration.token;
    const registered = await runAgent(
      ["--register", "--server", server.url, "--token", registration.token],
      env,
    );
    expect(registered.exitCode).toBe(0);
    const agentId = idSchema("agent").parse(/Registered as (agt_\w+)/.exec(registered.stdout)?.[1]);
    const saved = JSON.parse(readFileSync(configPath, "utf8")) as {
      registration: { accessToken: string; refreshToken: string };
    };
    secrets.agentAccessToken = saved.registration.accessToken;
    secrets.agentRefreshToken = saved.registration.refreshToken;

    const daemon = startDaemon(env);
    cleanups.push(() => daemon.stop());
    const [update] = await waitFor("the update on the server", async () => {
      const list = await admin.updates.list.query({ agentId });
      return list.items.length === 1 ? list.items : undefined;
    });
    if (!update) throw new Error("no update");

    // Before debug mode: info lines only, on both sides.
    expect(serverLines(server.output()).filter((line) => line.level === "DEBUG")).toEqual([]);
    expect(agentDebugLines(daemon.output())).toEqual([]);

    // Debug mode on: this server logs at debug at once.
    const beforeDebug = server.output().length;
    await admin.settings.set.mutate({ key: "debugMode", value: true });
    await waitFor("server debug lines", async () =>
      serverLines(server.output().slice(beforeDebug)).some((line) => line.logger === "redflag.sql")
        ? true
        : undefined,
    );

    // The install wakes the agent's long poll; that check-in's answer also says debug mode is on.
    expect((await admin.updates.approve.mutate({ updateIds: [update.id] })).changed).toBe(1);
    const { commandIds } = await admin.updates.install.mutate({ updateIds: [update.id] });
    const [commandId] = commandIds;
    if (!commandId) throw new Error("no install command");
    await waitFor(
      "the update installed",
      async () => {
        const list = await admin.updates.list.query({ agentId });
        return list.items[0]?.status === "installed" ? true : undefined;
      },
      120_000,
    );
    expect(sandbox.installedVersion("rf-logged")).toBe("1.1-1");
    await daemon.waitForOutput(new RegExp(`Result of command ${commandId} sent`));

    // The agent logs at debug since that check-in: each call and its answer.
    await daemon.waitForOutput(/The server's debug mode is on/);
    const agentDebug = agentDebugLines(daemon.output());
    expect(agentDebug.some((line) => line.includes("Calling") && line.includes("agent.reportResult"))).toBe(
      true,
    );

    // One grep of the command id over both outputs shows the install's whole path.
    const agentPath = daemon
      .output()
      .split("\n")
      .filter((line) => line.includes(commandId) && !line.includes("[DBG]"));
    const steps = [
      new RegExp(`Command ${commandId} \\(install\\) received`),
      new RegExp(`Command ${commandId} \\(install\\) started`),
      new RegExp(`Result of command ${commandId} sent: succeeded`),
    ];
    const stepIndexes = steps.map((step) => agentPath.findIndex((line) => step.test(line)));
    expect(stepIndexes.every((index) => index >= 0)).toBe(true);
    expect([...stepIndexes].sort((a, b) => a - b)).toEqual(stepIndexes);
    expect(agentPath.every((line) => line.includes(`agentId=${agentId}`))).toBe(true);
    const serverPath = serverLines(server.output()).filter((line) =>
      JSON.stringify(line).includes(commandId),
    );
    const handedOut = serverPath.find((line) => line.message.includes("handed out"));
    const received = serverPath.find((line) => line.message.includes("received from agent"));
    expect(handedOut?.properties).toMatchObject({ commandId, agentId });
    expect(received?.properties).toMatchObject({ commandId, agentId, status: "succeeded" });
    expect(serverPath.indexOf(handedOut as ServerLine)).toBeLessThan(
      serverPath.indexOf(received as ServerLine),
    );
    // The same request ids name the call on both sides: the check-in that handed it out, the report.
    const fetchedBy = /received \[.*requestId=([\w-]+)/.exec(agentPath[stepIndexes[0] ?? 0] ?? "")?.[1];
    expect(fetchedBy).toBe(handedOut?.properties.requestId as string);
    const reportedBy = /Result of command .* sent.*requestId=([\w-]+)/.exec(
      agentPath[stepIndexes[2] ?? 0] ?? "",
    )?.[1];
    expect(reportedBy).toBe(received?.properties.requestId as string);
    const reportLine = serverLines(server.output()).find(
      (line) =>
        line.logger === "redflag.request" &&
        line.properties.requestId === reportedBy &&
        line.properties.status !== undefined,
    );
    expect(reportLine?.properties).toMatchObject({
      procedure: "agent.reportResult",
      callerId: agentId,
      status: 200,
    });

    // Debug mode off: no debug line on the server from then on; the agent hears it at its next check-in.
    await admin.settings.set.mutate({ key: "debugMode", value: false });
    const afterDebug = server.output().length;
    await admin.agents.requestCommand.mutate({ agentId, type: "scan" });
    await daemon.waitForOutput(/The server's debug mode is off/);
    const offAt = daemon.output().indexOf("The server's debug mode is off");
    await waitFor(
      "a report from the agent after debug mode went off",
      async () =>
        serverLines(server.output().slice(afterDebug)).some(
          (line) =>
            line.properties.procedure === "agent.reportResult" && line.properties.callerId === agentId,
        )
          ? true
          : undefined,
      60_000,
    );
    expect(agentDebugLines(daemon.output().slice(offAt))).toEqual([]);
    expect(serverLines(server.output().slice(afterDebug)).filter((line) => line.level === "DEBUG")).toEqual(
      [],
    );

    // No secret in any line of either side, over the whole run.
    const outputs = {
      server: server.output(),
      agent: `${registered.stdout}${registered.stderr}${daemon.output()}`,
    };
    expect(outputs.server.length).toBeGreaterThan(1000);
    expect(outputs.agent.length).toBeGreaterThan(500);
    for (const [name, secret] of Object.entries(secrets)) {
      expect(secret.length).toBeGreaterThan(8);
      for (const [side, text] of Object.entries(outputs)) {
        if (text.includes(secret)) throw new Error(`${name} appears in the ${side}'s output`);
      }
    }
  }, 300_000);
});
