import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { privateKeyFromSeed } from "@redflag/api/services/signing/key-ring.ts";
import { commandSigningBytes, signBytes, signingKeyFingerprint, toBase64 } from "@redflag/contracts/signing";
import superjson from "superjson";
import { verifySignedChecksums } from "../../agent-bun/src/trust/checksums.ts";
import { trustedKey } from "../../agent-bun/src/trust/keys.ts";
import { AptSandbox } from "../../agent-bun/test/package-managers/apt/apt-sandbox.ts";
import { temporaryDirectory } from "../e2e/next-server.ts";
import { apiClient } from "../harness/server.ts";
import { waitFor } from "../harness/wait-for.ts";
import {
  type Daemon,
  requireAgentBinary,
  runAgent,
  startDaemon,
  startServerForAgent,
} from "./agent-process.ts";

/**
 * The compiled agent against the production server, with an HTTP relay between them that plays an
 * attacker on the path: it rewrites the commands in check-in answers, replays old ones, and
 * (knowing the server's key, given by REDFLAG_SIGNING_KEY here) signs commands that are correctly
 * signed but expired or meant for another agent. Real apt on an isolated root shows what ran.
 */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 60_000);

type Command = Record<string, unknown> & { id: string; type: string };
type Rewrite = (command: Command) => Command;

/** An HTTP relay in front of the server that can rewrite or add commands in check-in answers. */
function startCheckInRelay(target: string) {
  const rewrites: Rewrite[] = [];
  const injections: Command[] = [];
  const delivered: Command[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      const headers = new Headers(request.headers);
      headers.delete("host");
      headers.delete("accept-encoding");
      const upstream = await fetch(`${target}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        body: request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer(),
      });
      const answerHeaders = new Headers(upstream.headers);
      answerHeaders.delete("content-encoding");
      answerHeaders.delete("content-length");
      if (url.pathname !== "/api/trpc/agent.checkIn" || upstream.status !== 200)
        return new Response(await upstream.arrayBuffer(), {
          status: upstream.status,
          headers: answerHeaders,
        });
      const body = (await upstream.json()) as {
        result: { data: Parameters<typeof superjson.deserialize>[0] };
      };
      const answer = superjson.deserialize<{ commands: Command[] }>(body.result.data);
      answer.commands = answer.commands.map((command) => {
        delivered.push(structuredClone(command));
        const rewrite = rewrites.shift();
        return rewrite ? rewrite(command) : command;
      });
      answer.commands.push(...injections.splice(0));
      body.result.data = superjson.serialize(answer) as typeof body.result.data;
      return Response.json(body, { headers: answerHeaders });
    },
  });
  cleanups.push(() => server.stop(true));
  return {
    url: `http://127.0.0.1:${server.port}`,
    /** The next command handed out goes through `rewrite` first. */
    rewriteNext: (rewrite: Rewrite) => rewrites.push(rewrite),
    /** Adds a command to the next check-in answer. */
    inject: (command: Command) => injections.push(structuredClone(command)),
    delivered: (id: string) => delivered.find((command) => command.id === id),
  };
}

/** Signs a command's fields again with `key`: a valid signature over whatever the fields now say. */
function resign(command: Command, key: KeyObject, overrides: Record<string, unknown>): Command {
  const fields = { ...command, ...overrides } as Command & Parameters<typeof commandSigningBytes>[0];
  return {
    ...fields,
    keyId: signingKeyFingerprint(key),
    signature: toBase64(signBytes(key, commandSigningBytes(fields))),
  };
}

async function startServer(label: string, environment: Record<string, string> = {}) {
  const started = await startServerForAgent(label, cleanups, environment);
  return { ...started, stateDirectory: started.env.REDFLAG_STATE_DIR };
}

function aptSandbox() {
  const sandbox = new AptSandbox([
    { name: "main", suite: "bookworm", label: "RedFlag Test", origin: "RedFlag" },
  ]);
  cleanups.push(() => sandbox.remove());
  const seed = sandbox.addPackage("main", { name: "rf-signed", version: "1.0-1" });
  sandbox.addPackage("main", { name: "rf-signed", version: "1.1-1" });
  sandbox.publish("main");
  sandbox.seed(seed);
  return sandbox;
}

function writeAgentConfig(path: string, sandbox: AptSandbox) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    JSON.stringify({
      pollJitterSeconds: 0,
      apt: {
        configFile: sandbox.configFile,
        rebootRequiredFile: join(sandbox.fakeRoot, "run/reboot-required"),
      },
    }),
  );
}

describe("signed commands with the compiled agent", () => {
  test("registration pins the key; unsigned, tampered, expired, other-agent, unknown-key and replayed commands are refused, reported, and never run", async () => {
    requireAgentBinary();
    const sandbox = aptSandbox();
    const seed = randomBytes(32);
    const serverKey = privateKeyFromSeed(seed);
    const { server, admin, configPath, stateDirectory, env } = await startServer("signing", {
      REDFLAG_SIGNING_KEY: seed.toString("base64"),
    });
    const relay = startCheckInRelay(server.url);
    writeAgentConfig(configPath, sandbox);
    const { activeFingerprint } = await admin.signingKeys.current.query();
    expect(activeFingerprint).toBe(signingKeyFingerprint(serverKey));

    // A wrong fingerprint: refused with its own exit code, and nothing written.
    const registration = await admin.registrationTokens.create.mutate({ label: "signing e2e", seats: 3 });
    const configBefore = readFileSync(configPath, "utf8");
    const wrong = signingKeyFingerprint(generateKeyPairSync("ed25519").publicKey);
    const refused = await runAgent(
      ["--register", "--server", relay.url, "--token", registration.token, "--fingerprint", wrong],
      env,
    );
    expect(refused.exitCode).toBe(11);
    expect(refused.stderr).toContain(
      `The server's signing key is ${activeFingerprint}, not the expected ${wrong}`,
    );
    expect(readFileSync(configPath, "utf8")).toBe(configBefore);
    expect(existsSync(join(stateDirectory, "trusted_keys.json"))).toBe(false);
    const malformed = await runAgent(
      ["--register", "--server", relay.url, "--token", registration.token, "--fingerprint", "SHA256:short"],
      env,
    );
    expect(malformed.exitCode).toBe(2);

    const registered = await runAgent(
      [
        "--register",
        "--server",
        relay.url,
        "--token",
        registration.token,
        "--fingerprint",
        activeFingerprint,
      ],
      env,
    );
    expect(registered.stderr).toBe("");
    expect(registered.exitCode).toBe(0);
    const agentId = /Registered as (agt_\w+)/.exec(registered.stdout)?.[1] ?? "";
    const config = JSON.parse(readFileSync(configPath, "utf8"));
    expect(config.serverKeys.map((key: { fingerprint: string }) => key.fingerprint)).toEqual([
      activeFingerprint,
    ]);
    // Another agent, registered over the API: its commands are signed for it, not for ours.
    const other = await apiClient(server.url).agent.register.mutate({
      registrationToken: registration.token,
      host: {
        hostname: "other",
        osType: "linux",
        osName: "Debian GNU/Linux",
        osVersion: "12",
        architecture: "x86_64",
        agentVersion: "0.1.0",
        machineId: "other-machine",
      },
    });

    await admin.agents.configure.mutate({ agentId, rapidModeMinutes: 30 });
    let daemon: Daemon = startDaemon(env);
    cleanups.push(() => daemon.stop());
    const [update] = await waitFor("the update on the server", async () => {
      const list = await admin.updates.list.query({ agentId });
      return list.items.length === 1 ? list.items : undefined;
    });
    if (!update) throw new Error("no update");
    await admin.updates.approve.mutate({ updateIds: [update.id] });

    const finished = (commandId: string) =>
      waitFor(
        `command ${commandId} to finish`,
        async () => {
          const command = await admin.commands.get.query({ commandId });
          return ["succeeded", "failed"].includes(command.status) ? command : undefined;
        },
        60_000,
      );
    let commandId = (await admin.updates.install.mutate({ updateIds: [update.id] })).commandIds[0] ?? "";
    const refusals: [string, Rewrite][] = [
      ["unsigned", ({ signature: _signature, keyId: _keyId, ...command }) => command as Command],
      [
        "tampered",
        (command) => ({
          ...command,
          targets: (command.targets as Record<string, unknown>[]).map((target) => ({
            ...target,
            availableVersion: "9.9-9",
          })),
        }),
      ],
      [
        "tampered",
        (command) => ({ ...command, parameters: { ...(command.parameters as object), force: true } }),
      ],
      ["tampered", (command) => ({ ...command, expiresAt: new Date(Date.now() + 50 * 60_000) })],
      [
        "expired",
        (command) =>
          resign(command, serverKey, {
            issuedAt: new Date(Date.now() - 11 * 60_000),
            expiresAt: new Date(Date.now() - 60_000),
          }),
      ],
      [
        "not_yet_valid",
        (command) =>
          resign(command, serverKey, {
            issuedAt: new Date(Date.now() + 5 * 60_000),
            expiresAt: new Date(Date.now() + 15 * 60_000),
          }),
      ],
      ["other_agent", (command) => resign(command, serverKey, { agentId: other.agentId })],
      ["unknown_key", (command) => resign(command, generateKeyPairSync("ed25519").privateKey, {})],
    ];
    for (const [reason, rewrite] of refusals) {
      relay.rewriteNext(rewrite);
      const command = await finished(commandId);
      expect({ reason, status: command.status, refused: command.result?.refused }).toEqual({
        reason,
        status: "failed",
        refused: reason,
      });
      expect(command.output).toStartWith("Refused: ");
      expect(command.output).toContain("The command was not run.");
      expect(sandbox.installedVersion("rf-signed")).toBe("1.0-1");
      expect(daemon.output()).toContain(`Refused install command ${commandId}: ${reason}`);
      expect(daemon.output()).not.toContain(`Running install command ${commandId}`);
      commandId = (await admin.commands.retry.mutate({ commandId })).id;
    }

    // The real thing, untouched: it runs, and the package is upgraded.
    const installed = await finished(commandId);
    expect(installed.status).toBe("succeeded");
    expect(sandbox.installedVersion("rf-signed")).toBe("1.1-1");

    // A scan that ran, handed to the agent again: the daemon's ledger of command ids stops it first.
    const { id: scanId } = await admin.agents.requestCommand.mutate({ agentId, type: "scan" });
    expect((await finished(scanId)).status).toBe("succeeded");
    const ran = () => daemon.output().match(new RegExp(`Running scan command ${scanId}`, "g"))?.length ?? 0;
    expect(ran()).toBe(1);
    const original = relay.delivered(scanId);
    if (!original) throw new Error("the scan was not seen by the relay");
    relay.inject(original);
    await daemon.waitForOutput(new RegExp(`Command ${scanId} was handed out again after it ran here`));
    expect(ran()).toBe(1);
    expect(await daemon.stop()).toBe(0);
    // The ledger keeps the last 1,000 ids; the signature's nonce does not depend on it. With the ledger
    // gone and the agent restarted, the replay is refused by the nonce kept on disk.
    rmSync(join(stateDirectory, "commands.json"), { force: true });
    daemon = startDaemon(env);
    relay.inject(original);
    await daemon.waitForOutput(new RegExp(`Refused scan command ${scanId}: replayed`));
    expect(daemon.output()).not.toContain(`Running scan command ${scanId}`);
    expect(await daemon.stop()).toBe(0);
  }, 300_000);
});

describe("key rotation with the compiled agent", () => {
  test("the agent keeps executing commands through rotate, promote and retire, and SHA256SUMS verifies with its keys", async () => {
    requireAgentBinary();
    const sandbox = aptSandbox();
    const { server, admin, configPath, stateDirectory, env } = await startServer("rotation");
    writeAgentConfig(configPath, sandbox);
    const registration = await admin.registrationTokens.create.mutate({ label: "rotation e2e", seats: 1 });
    const first = await admin.signingKeys.current.query();
    const registered = await runAgent(
      [
        "--register",
        "--server",
        server.url,
        "--token",
        registration.token,
        "--fingerprint",
        first.activeFingerprint,
      ],
      env,
    );
    expect(registered.exitCode).toBe(0);
    const agentId = /Registered as (agt_\w+)/.exec(registered.stdout)?.[1] ?? "";
    await admin.agents.configure.mutate({ agentId, rapidModeMinutes: 30 });
    const daemon = startDaemon(env);
    cleanups.push(() => daemon.stop());

    /** The keys the agent trusts now: pinned at registration, then learned and retired. */
    const agentKeys = () => {
      const pinned = JSON.parse(readFileSync(configPath, "utf8")).serverKeys as { publicKey: string }[];
      const path = join(stateDirectory, "trusted_keys.json");
      const learned = existsSync(path)
        ? (JSON.parse(readFileSync(path, "utf8")) as { added: { publicKey: string }[]; retired: string[] })
        : { added: [], retired: [] };
      return [...pinned, ...learned.added]
        .map((key) => trustedKey(key.publicKey))
        .filter((key) => !learned.retired.includes(key.fingerprint));
    };
    const scanRuns = async () => {
      const { id } = await admin.agents.requestCommand.mutate({ agentId, type: "scan" });
      const command = await waitFor(
        `scan ${id} to finish`,
        async () => {
          const current = await admin.commands.get.query({ commandId: id });
          return ["succeeded", "failed"].includes(current.status) ? current : undefined;
        },
        60_000,
      );
      expect({ id, status: command.status, output: command.output }).toMatchObject({
        id,
        status: "succeeded",
      });
      expect(daemon.output()).toContain(`Running scan command ${id}`);
    };
    const downloadsVerify = async () => {
      const sums = new Uint8Array(await (await fetch(`${server.url}/downloads/SHA256SUMS`)).arrayBuffer());
      const signature = new Uint8Array(
        await (await fetch(`${server.url}/downloads/SHA256SUMS.sig`)).arrayBuffer(),
      );
      expect(signature.length).toBe(64);
      const map = verifySignedChecksums(sums, signature, agentKeys());
      expect(map.get("redflag-agent-linux-x64")).toMatch(/^[0-9a-f]{64}$/);
      // The same check a shell script makes with openssl and the served PEM.
      const pem = await (await fetch(`${server.url}/downloads/signing-key.pem`)).text();
      const directory = temporaryDirectory("redflag-openssl-");
      cleanups.push(directory.remove);
      writeFileSync(join(directory.path, "SHA256SUMS"), sums);
      writeFileSync(join(directory.path, "SHA256SUMS.sig"), signature);
      writeFileSync(join(directory.path, "key.pem"), pem);
      const openssl = spawnSync(
        "openssl",
        [
          "pkeyutl",
          "-verify",
          "-pubin",
          "-inkey",
          "key.pem",
          "-rawin",
          "-in",
          "SHA256SUMS",
          "-sigfile",
          "SHA256SUMS.sig",
        ],
        { cwd: directory.path, encoding: "utf8" },
      );
      expect(openssl.stdout).toContain("Signature Verified Successfully");
      const forged = new Uint8Array(sums);
      forged[0] = forged[0] === 0x30 ? 0x31 : 0x30;
      expect(() => verifySignedChecksums(forged, signature, agentKeys())).toThrow("not signed by a key");
    };

    await scanRuns();
    await downloadsVerify();

    const rotated = await admin.signingKeys.rotate.mutate();
    await scanRuns();
    await waitFor("the agent to trust the announced key", () =>
      agentKeys().some((key) => key.fingerprint === rotated.fingerprint),
    );

    await admin.signingKeys.promote.mutate();
    await scanRuns();
    await downloadsVerify();

    await admin.signingKeys.retire.mutate();
    await scanRuns();
    await waitFor("the agent to drop the retired key", () =>
      agentKeys().every((key) => key.fingerprint !== first.activeFingerprint),
    );
    expect(agentKeys().map((key) => key.fingerprint)).toEqual([rotated.fingerprint]);
    await scanRuns();
    expect(daemon.output()).not.toContain("Refused");

    const audit = await admin.audit.list.query({ entityType: "signing_key" });
    expect(audit.items.map((event) => event.action).reverse()).toEqual([
      "signing_key.rotate",
      "signing_key.promote",
      "signing_key.retire",
    ]);
    expect(await daemon.stop()).toBe(0);
  }, 300_000);
});
