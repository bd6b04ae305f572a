import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync, sign } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LeasedCommand } from "@redflag/contracts";
import { rawPublicKey, signingKeyFingerprint } from "@redflag/contracts/signing";
import type { ConfigFile } from "../../src/config/config.ts";
import {
  finishPendingLifecycle,
  guardUpdateAtStart,
  heldLifecycleCommandIds,
  restartExitCode,
  runLifecycleCommand,
} from "../../src/lifecycle/index.ts";
import {
  installCandidate,
  keepAsPrevious,
  maxStartsBeforeRestore,
  prepareCandidate,
  readUpdateMarker,
  removeLeftoverDownloads,
  restoreKept,
  restorePrevious,
  type UpdateMarker,
  writeUpdateMarker,
} from "../../src/lifecycle/self-update.ts";
import type { AgentConnection } from "../../src/transport/client.ts";
import { verifySignedChecksums } from "../../src/trust/checksums.ts";

const directory = mkdtempSync(join(tmpdir(), "redflag-self-update-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A program standing in for an agent build: `--version` prints `version`. */
function fakeAgent(version: string, extra = ""): string {
  return `#!/bin/sh\nif [ "$1" = "--version" ]; then echo '${version}'; exit 0; fi\n${extra}exit 0\n`;
}

function installDirectory(name: string, installed = fakeAgent("1.0.0")): string {
  const path = join(directory, name);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, "redflag-agent"), installed, { mode: 0o755 });
  return join(path, "redflag-agent");
}

describe("installing a new binary keeps exactly one previous", () => {
  const files = (binary: string) => readdirSync(join(binary, "..")).sort();

  test("each good update keeps the binary that ran as the one previous binary", () => {
    const binary = installDirectory("swap");
    for (const version of ["1.1.0", "1.2.0", "1.3.0"]) {
      const candidate = `${binary}.new-${version}`;
      writeFileSync(candidate, fakeAgent(version), { mode: 0o755 });
      installCandidate(binary, candidate);
      // During the trial the running binary is kept aside; the previous one is not touched yet.
      expect(files(binary)).toContain("redflag-agent.kept");
      keepAsPrevious(binary);
    }
    expect(files(binary)).toEqual(["redflag-agent", "redflag-agent.previous"]);
    expect(readFileSync(binary, "utf8")).toContain("1.3.0");
    expect(readFileSync(`${binary}.previous`, "utf8")).toContain("1.2.0");
  });

  test("a failed trial puts the running binary back and leaves the previous one as it was", () => {
    const binary = installDirectory("trial-failed", fakeAgent("1.1.0"));
    writeFileSync(`${binary}.previous`, fakeAgent("1.0.0"));
    writeFileSync(`${binary}.new-2.0.0`, fakeAgent("2.0.0"), { mode: 0o755 });
    installCandidate(binary, `${binary}.new-2.0.0`);
    restoreKept(binary);
    expect(files(binary)).toEqual(["redflag-agent", "redflag-agent.previous"]);
    expect(readFileSync(binary, "utf8")).toContain("1.1.0");
    expect(readFileSync(`${binary}.previous`, "utf8")).toContain("1.0.0");
    expect(() => restoreKept(binary)).toThrow("no kept binary");
  });

  test("a new binary that cannot stay up gives way to the previous one", () => {
    const binary = installDirectory("restore", fakeAgent("2.0.0"));
    writeFileSync(`${binary}.previous`, fakeAgent("1.0.0"));
    restorePrevious(binary);
    expect(files(binary)).toEqual(["redflag-agent"]);
    expect(readFileSync(binary, "utf8")).toContain("1.0.0");
    expect(() => restorePrevious(binary)).toThrow("no previous binary");
  });

  test("a failed rename puts the installed binary back; leftovers of an interrupted attempt are tidied", () => {
    const binary = installDirectory("failed-swap");
    expect(() => installCandidate(binary, `${binary}.new-missing`)).toThrow();
    expect(files(binary)).toEqual(["redflag-agent"]);
    writeFileSync(`${binary}.new-1234`, "half a download");
    writeFileSync(`${binary}.new-failed-5678`, "a failed binary");
    writeFileSync(`${binary}.kept`, fakeAgent("0.9.0"));
    writeFileSync(join(directory, "failed-swap", "other-file"), "not ours");
    expect(removeLeftoverDownloads(binary)).toHaveLength(2);
    expect(files(binary)).toEqual(["other-file", "redflag-agent", "redflag-agent.previous"]);
    expect(readFileSync(`${binary}.previous`, "utf8")).toContain("0.9.0");
  });
});

describe("downloading a new binary", () => {
  const keys = generateKeyPairSync("ed25519");
  const trusted = [
    { fingerprint: signingKeyFingerprint(keys.publicKey), publicKey: rawPublicKey(keys.publicKey) },
  ];
  const verify = (sums: Uint8Array, signature: Uint8Array) => verifySignedChecksums(sums, signature, trusted);
  const served = new Map<string, Uint8Array<ArrayBuffer> | string>();
  let server: ReturnType<typeof Bun.serve>;
  const publish = (files: Record<string, string>, signer = keys.privateKey) => {
    served.clear();
    const lines = Object.entries(files).map(
      ([name, content]) => `${new Bun.CryptoHasher("sha256").update(content).digest("hex")}  ${name}`,
    );
    const sums = `${lines.join("\n")}\n`;
    served.set("SHA256SUMS", sums);
    served.set("SHA256SUMS.sig", new Uint8Array(sign(null, Buffer.from(sums), signer)));
    for (const [name, content] of Object.entries(files)) served.set(name, content);
  };
  beforeAll(() => {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(request) {
        const name = new URL(request.url).pathname.replace(/^\/downloads\//, "");
        const body = served.get(name);
        return body === undefined ? new Response("not found", { status: 404 }) : new Response(body);
      },
    });
  });
  afterAll(() => server.stop(true));
  const options = (binary: string, version = "2.0.0") => ({
    serverUrl: `http://127.0.0.1:${server.port}`,
    target: "redflag-agent-linux-x64",
    binary,
    version,
    verifyChecksums: verify,
    env: { PATH: "/usr/bin:/bin" },
  });
  const folder = (binary: string) => readdirSync(join(binary, "..")).sort();

  test("a signed, matching, self-checked binary lands beside the installed one", async () => {
    const binary = installDirectory("download-ok");
    publish({ "redflag-agent-linux-x64": fakeAgent("2.0.0"), "redflag-agent-windows-x64.exe": "MZ" });
    const candidate = await prepareCandidate(options(binary));
    expect(candidate.startsWith(`${binary}.new-`)).toBe(true);
    expect(readFileSync(candidate, "utf8")).toBe(fakeAgent("2.0.0"));
    rmSync(candidate);
  });

  test("refused, with nothing left behind: another key, a hash mismatch, a wrong version, no build for the target", async () => {
    const binary = installDirectory("download-refused");
    const other = generateKeyPairSync("ed25519");
    publish({ "redflag-agent-linux-x64": fakeAgent("2.0.0") }, other.privateKey);
    await expect(prepareCandidate(options(binary))).rejects.toThrow("not signed by a key this agent trusts");

    publish({ "redflag-agent-linux-x64": fakeAgent("2.0.0") });
    served.set("redflag-agent-linux-x64", fakeAgent("2.0.0", "echo tampered\n"));
    await expect(prepareCandidate(options(binary))).rejects.toThrow("but the signed SHA256SUMS says");
    expect(folder(binary)).toEqual(["redflag-agent"]);

    publish({ "redflag-agent-linux-x64": fakeAgent("1.9.9") });
    await expect(prepareCandidate(options(binary))).rejects.toThrow('printed "1.9.9", expected "2.0.0"');
    expect(folder(binary)).toEqual(["redflag-agent"]);

    publish({ "redflag-agent-linux-arm64": fakeAgent("2.0.0") });
    await expect(prepareCandidate(options(binary))).rejects.toThrow("lists no redflag-agent-linux-x64");
    expect(folder(binary)).toEqual(["redflag-agent"]);
  });

  /** The whole command, with the installed binary and the server's answers played by scripts. */
  function updateCommand(name: string, renew: () => Promise<void> = async () => {}) {
    const binary = installDirectory(name, fakeAgent("1.0.0"));
    writeFileSync(`${binary}.previous`, fakeAgent("0.9.0"));
    mkdirSync(join(directory, `${name}-state`));
    const files = {
      rebootMarker: join(directory, `${name}-state`, "reboot.json"),
      updateMarker: join(directory, `${name}-state`, "update.json"),
    };
    const connection = { serverUrl: `http://127.0.0.1:${server.port}`, renew } as unknown as AgentConnection;
    const command = {
      id: "cmd_00000000000000000000000042",
      type: "update_agent",
      attempt: 1,
      leaseExpiresAt: new Date(Date.now() + 900_000),
      targets: [],
      parameters: { version: "2.0.0" },
    } as unknown as LeasedCommand & { type: "update_agent" };
    const run = () =>
      runLifecycleCommand(
        command,
        {
          config: {} as ConfigFile,
          connection,
          files,
          configPath: "/etc/redflag-test/config.json",
          verifyChecksums: verify,
          binary,
          version: "1.0.0",
          target: "redflag-agent-linux-x64",
        },
        () => {},
      );
    return { binary, files, run };
  }

  test("the command: a failed trial or renewal leaves the binaries as they were and says why", async () => {
    publish({ "redflag-agent-linux-x64": fakeAgent("2.0.0", 'echo "cannot read the config" >&2; exit 3\n') });
    const trial = updateCommand("command-trial-fails");
    const outcome = await trial.run();
    expect(outcome).toMatchObject({ status: "failed", exitCode: 3 });
    expect(outcome?.output).toContain(
      "The new agent 2.0.0 failed its trial run and agent 1.0.0 was put back",
    );
    expect(outcome?.output).toContain("exited with 3: cannot read the config");
    expect(folder(trial.binary)).toEqual(["redflag-agent", "redflag-agent.previous"]);
    expect(readFileSync(trial.binary, "utf8")).toBe(fakeAgent("1.0.0"));
    expect(readFileSync(`${trial.binary}.previous`, "utf8")).toBe(fakeAgent("0.9.0"));
    expect(existsSync(trial.files.updateMarker)).toBe(false);

    const renewal = updateCommand("command-renewal-fails", async () => {
      throw new Error("the server cannot be reached");
    });
    expect(await renewal.run()).toMatchObject({
      status: "failed",
      output: "Agent 2.0.0 was not installed: the server cannot be reached",
    });
    expect(folder(renewal.binary)).toEqual(["redflag-agent", "redflag-agent.previous"]);
  });

  test("the command: a good trial keeps one previous binary, leaves the marker and asks for the restart", async () => {
    // The trial reads the daemon's config and state: it is told where they are.
    publish({
      "redflag-agent-linux-x64": fakeAgent(
        "2.0.0",
        'echo "$AGENT_CONFIG_PATH $2" > "$REDFLAG_STATE_DIR/trial.txt"; echo "update trial passed: 2.0.0"\n',
      ),
    });
    const good = updateCommand("command-good");
    expect(restartExitCode()).toBeNull();
    expect(await good.run()).toBeNull();
    expect(folder(good.binary)).toEqual(["redflag-agent", "redflag-agent.previous"]);
    expect(readFileSync(good.binary, "utf8")).toContain("update trial passed: 2.0.0");
    expect(readFileSync(`${good.binary}.previous`, "utf8")).toBe(fakeAgent("1.0.0"));
    expect(readUpdateMarker(good.files.updateMarker)).toMatchObject({
      commandId: "cmd_00000000000000000000000042",
      fromVersion: "1.0.0",
      toVersion: "2.0.0",
      starts: 0,
    });
    expect(readFileSync(join(good.files.updateMarker, "..", "trial.txt"), "utf8")).toBe(
      "/etc/redflag-test/config.json cmd_00000000000000000000000042\n",
    );
    expect(restartExitCode()).toBe(12);
  });
});

describe("the update's marker across the restart", () => {
  const marker = (overrides: Partial<UpdateMarker> = {}): UpdateMarker => ({
    commandId: "cmd_00000000000000000000000001",
    fromVersion: "1.0.0",
    toVersion: "2.0.0",
    startedAt: new Date("2026-12-01T01:00:00Z"),
    deadline: new Date("2026-12-01T01:10:00Z"),
    starts: 0,
    restored: null,
    ...overrides,
  });
  const filesIn = (name: string) => {
    mkdirSync(join(directory, name), { recursive: true });
    return {
      rebootMarker: join(directory, name, "reboot.json"),
      updateMarker: join(directory, name, "update.json"),
    };
  };
  const finish = (
    files: ReturnType<typeof filesIn>,
    agentVersion: string,
    now = new Date("2026-12-01T01:05:00Z"),
  ) => finishPendingLifecycle({ config: {}, connection: {}, files, agentVersion, now });

  test("the new version's first check-in reports success and clears the marker", async () => {
    const files = filesIn("confirm");
    writeUpdateMarker(files.updateMarker, marker());
    // The old version checking in before the deadline: still waiting.
    expect(await finish(files, "1.0.0")).toEqual([]);
    const [result] = await finish(files, "2.0.0");
    expect(result).toMatchObject({
      commandId: "cmd_00000000000000000000000001",
      status: "succeeded",
      output: "Agent updated from 1.0.0 to 2.0.0",
    });
    expect(existsSync(files.updateMarker)).toBe(false);
    expect(await finish(files, "2.0.0")).toEqual([]);
  });

  test("the old version still running after the deadline fails the command", async () => {
    const files = filesIn("deadline");
    writeUpdateMarker(files.updateMarker, marker());
    const [result] = await finish(files, "1.0.0", new Date("2026-12-01T01:11:00Z"));
    expect(result?.status).toBe("failed");
    expect(result?.output).toContain(
      "did not check in by 2026-12-01T01:10:00.000Z; this host runs agent 1.0.0",
    );
    expect(existsSync(files.updateMarker)).toBe(false);
  });

  test("a new binary failing at every start gives way to the previous one, once, and the old one reports why", async () => {
    const files = filesIn("crash-loop");
    const binary = installDirectory("crash-loop-bin", fakeAgent("2.0.0"));
    writeFileSync(`${binary}.previous`, fakeAgent("1.0.0"), { mode: 0o755 });
    writeUpdateMarker(files.updateMarker, marker());
    for (let start = 1; start <= maxStartsBeforeRestore; start++) {
      expect(guardUpdateAtStart(files, binary, "2.0.0")).toBe(false);
      expect(readUpdateMarker(files.updateMarker)?.starts).toBe(start);
    }
    expect(guardUpdateAtStart(files, binary, "2.0.0")).toBe(true);
    expect(readFileSync(binary, "utf8")).toContain("1.0.0");
    expect(readdirSync(join(directory, "crash-loop-bin"))).toEqual(["redflag-agent"]);
    // The restored old binary starts: nothing more to do at start, and its check-in fails the command.
    expect(guardUpdateAtStart(files, binary, "1.0.0")).toBe(false);
    const [result] = await finish(files, "1.0.0");
    expect(result?.status).toBe("failed");
    expect(result?.output).toBe(
      `Agent 2.0.0 started ${maxStartsBeforeRestore} times without checking in; agent 1.0.0 was put back`,
    );
    expect(existsSync(files.updateMarker)).toBe(false);
  });

  test("the commands waiting for a restart are named at check-in, so their leases are extended", () => {
    const files = filesIn("held");
    expect(heldLifecycleCommandIds(files)).toEqual([]);
    writeUpdateMarker(files.updateMarker, marker());
    writeFileSync(
      files.rebootMarker,
      JSON.stringify({
        commandId: "cmd_00000000000000000000000002",
        startedAt: new Date(),
        deadline: new Date(),
        before: { bootId: null, initStartTicks: null, bootedAt: new Date() },
      }),
    );
    expect(heldLifecycleCommandIds(files)).toEqual([
      "cmd_00000000000000000000000002",
      "cmd_00000000000000000000000001",
    ]);
  });

  test("an unreadable marker is dropped, not reported", async () => {
    const files = filesIn("garbage");
    writeFileSync(files.updateMarker, "{ not json");
    expect(await finish(files, "2.0.0")).toEqual([]);
    expect(existsSync(files.updateMarker)).toBe(false);
  });
});
