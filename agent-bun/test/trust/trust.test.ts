import { describe, expect, test } from "bun:test";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  commandSigningBytes,
  keyStatementSigningBytes,
  rawPublicKey,
  signBytes,
  signingKeyFingerprint,
  toBase64,
} from "@redflag/contracts/signing";
import { configFileSchema } from "../../src/config/config.ts";
import { stateFiles } from "../../src/config/paths.ts";
import { verifySignedChecksums } from "../../src/trust/checksums.ts";
import { learnServerKeys } from "../../src/trust/command-trust.ts";
import { applyKeyStatements, type TrustedKey } from "../../src/trust/keys.ts";
import { maxNonces, NonceStore } from "../../src/trust/nonce-store.ts";
import { pinServerKeys } from "../../src/trust/pin-server-keys.ts";
import { TrustStore } from "../../src/trust/trust-store.ts";
import { verifyCommand } from "../../src/trust/verify-command.ts";

const agentId = "agt_0000000000000000000000000a";
const now = new Date("2026-03-01T12:00:00.000Z");

function keyPair() {
  const { privateKey } = generateKeyPairSync("ed25519");
  const publicKey = rawPublicKey(privateKey);
  return { privateKey, trusted: { fingerprint: signingKeyFingerprint(publicKey), publicKey } as TrustedKey };
}
const server = keyPair();

function signed(overrides: Record<string, unknown> = {}, signer = server) {
  const fields = {
    id: "cmd_0000000000000000000000000c",
    agentId,
    type: "install",
    targets: [
      {
        updateId: "upd_1",
        packageType: "apt",
        packageName: "hello",
        target: "",
        currentVersion: "1.0",
        availableVersion: "1.1",
      },
    ],
    parameters: { dryRun: false },
    issuedAt: new Date(now.getTime() - 1000),
    expiresAt: new Date(now.getTime() + 599_000),
    nonce: toBase64(crypto.getRandomValues(new Uint8Array(16)))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, ""),
    ...overrides,
  };
  return {
    ...fields,
    attempt: 1,
    leaseExpiresAt: fields.expiresAt,
    keyId: signer.trusted.fingerprint,
    signature: toBase64(signBytes(signer.privateKey, commandSigningBytes(fields))),
  };
}

function stateDirectory() {
  return mkdtempSync(join(tmpdir(), "redflag-trust-"));
}

function verify(command: unknown, nonces = new NonceStore(join(stateDirectory(), "nonces.json")), at = now) {
  return verifyCommand(command, { agentId, keys: [server.trusted], now: at, nonces });
}

describe("verifyCommand", () => {
  test("a signed command for this agent is accepted", () => {
    expect(verify(signed())).toEqual({ ok: true });
  });

  test("unsigned", () => {
    const { signature: _signature, keyId: _keyId, ...unsigned } = signed();
    expect(verify(unsigned)).toMatchObject({ ok: false, reason: "unsigned" });
  });

  test("every signed field changed after signing reads as tampering", () => {
    const tampered: Record<string, unknown> = {
      id: "cmd_0000000000000000000000000d",
      type: "rollback",
      targets: [],
      parameters: { dryRun: true },
      issuedAt: new Date(now.getTime() - 2000),
      expiresAt: new Date(now.getTime() + 500_000),
      nonce: "B".repeat(22),
    };
    for (const [field, value] of Object.entries(tampered)) {
      const result = verify({ ...signed(), [field]: value });
      expect({ field, result }).toMatchObject({ field, result: { ok: false, reason: "tampered" } });
    }
    const command = signed();
    const target = { ...command.targets[0], packageName: "evil" };
    expect(verify({ ...command, targets: [target] })).toMatchObject({ ok: false, reason: "tampered" });
    expect(verify({ ...command, signature: signed().signature })).toMatchObject({
      ok: false,
      reason: "tampered",
    });
  });

  test("the agent id is checked: another agent's command is refused", () => {
    const other = signed({ agentId: "agt_0000000000000000000000000b" });
    expect(verify(other)).toMatchObject({ ok: false, reason: "other_agent" });
    // Rewriting the agent id to ours breaks the signature.
    expect(verify({ ...other, agentId })).toMatchObject({ ok: false, reason: "tampered" });
  });

  test("a key the agent does not trust, or a signature by another key under the trusted key's id", () => {
    const stranger = keyPair();
    expect(verify(signed({}, stranger))).toMatchObject({ ok: false, reason: "unknown_key" });
    expect(verify({ ...signed({}, stranger), keyId: server.trusted.fingerprint })).toMatchObject({
      ok: false,
      reason: "tampered",
    });
  });

  test("expired, and not yet valid beyond the clock skew allowance", () => {
    const expired = signed({
      issuedAt: new Date(now.getTime() - 700_000),
      expiresAt: new Date(now.getTime() - 100_000),
    });
    expect(verify(expired)).toMatchObject({ ok: false, reason: "expired" });
    const ahead = signed({
      issuedAt: new Date(now.getTime() + 120_000),
      expiresAt: new Date(now.getTime() + 720_000),
    });
    expect(verify(ahead)).toMatchObject({ ok: false, reason: "not_yet_valid" });
    const slightlyAhead = signed({
      issuedAt: new Date(now.getTime() + 30_000),
      expiresAt: new Date(now.getTime() + 630_000),
    });
    expect(verify(slightlyAhead)).toEqual({ ok: true });
    const tooLong = signed({ expiresAt: new Date(now.getTime() + 2 * 3_600_000) });
    expect(verify(tooLong)).toMatchObject({ ok: false, reason: "too_long" });
  });

  test("malformed signature fields are refused", () => {
    expect(verify({ ...signed(), issuedAt: "yesterday" })).toMatchObject({ ok: false, reason: "malformed" });
    expect(verify({ ...signed(), signature: "short" })).toMatchObject({ ok: false, reason: "malformed" });
    expect(verify(null)).toMatchObject({ ok: false, reason: "unsigned" });
  });

  test("replayed, also after a restart (the nonce store read again from disk)", () => {
    const path = join(stateDirectory(), "nonces.json");
    const command = signed();
    expect(verify(command, new NonceStore(path))).toEqual({ ok: true });
    const store = new NonceStore(path);
    expect(verify(command, store)).toMatchObject({ ok: false, reason: "replayed" });
    // A refused command records nothing: the tampered copy of a fresh command leaves its nonce free.
    const fresh = signed();
    expect(verify({ ...fresh, type: "rollback" }, store)).toMatchObject({ reason: "tampered" });
    expect(verify(fresh, new NonceStore(path))).toEqual({ ok: true });
  });

  test("an unreadable nonce store refuses everything rather than forget", () => {
    const path = join(stateDirectory(), "nonces.json");
    writeFileSync(path, "{ not json");
    expect(verify(signed(), new NonceStore(path))).toMatchObject({ ok: false, reason: "replayed" });
  });
});

describe("NonceStore", () => {
  test("entries are dropped after their expiry", () => {
    const path = join(stateDirectory(), "nonces.json");
    const store = new NonceStore(path);
    expect(store.claim("a".repeat(22), new Date(now.getTime() + 1000), now)).toBe(true);
    expect(store.claim("b".repeat(22), new Date(now.getTime() + 5000), new Date(now.getTime() + 2000))).toBe(
      true,
    );
    const reloaded = new NonceStore(path);
    expect(reloaded.has("a".repeat(22))).toBe(false);
    expect(reloaded.has("b".repeat(22))).toBe(true);
  });

  test("bounded: the entries expiring first go first", () => {
    const path = join(stateDirectory(), "nonces.json");
    const entries = Object.fromEntries(
      Array.from({ length: maxNonces }, (_, index) => [
        `n${index}`.padEnd(22, "x"),
        now.getTime() + 10_000 + index,
      ]),
    );
    writeFileSync(path, JSON.stringify({ version: 1, nonces: entries }));
    const store = new NonceStore(path);
    expect(store.claim("new".padEnd(22, "y"), new Date(now.getTime() + 60_000), now)).toBe(true);
    expect(store.size).toBe(maxNonces);
    expect(store.has("n0".padEnd(22, "x"))).toBe(false);
    expect(Object.keys(JSON.parse(readFileSync(path, "utf8")).nonces)).toHaveLength(maxNonces);
  });
});

function statement(kind: "announce" | "retire", subject: KeyObject, signer: ReturnType<typeof keyPair>) {
  const body = {
    kind,
    publicKey: toBase64(rawPublicKey(subject)),
    issuedAt: now,
    signedBy: signer.trusted.fingerprint,
  };
  return { ...body, signature: toBase64(signBytes(signer.privateKey, keyStatementSigningBytes(body))) };
}

describe("key statements", () => {
  const next = keyPair();
  test("an announcement signed by a trusted key adds the key; a retirement signed by another trusted key drops one", () => {
    const announced = applyKeyStatements([server.trusted], [statement("announce", next.privateKey, server)]);
    expect(announced.keys.map((key) => key.fingerprint)).toEqual([
      server.trusted.fingerprint,
      next.trusted.fingerprint,
    ]);
    const retired = applyKeyStatements(announced.keys, [statement("retire", server.privateKey, next)]);
    expect(retired.keys.map((key) => key.fingerprint)).toEqual([next.trusted.fingerprint]);
  });
  test("announcement and retirement in one answer: the retirement is signed by the key just announced", () => {
    const change = applyKeyStatements(
      [server.trusted],
      [statement("retire", server.privateKey, next), statement("announce", next.privateKey, server)],
    );
    expect(change.keys.map((key) => key.fingerprint)).toEqual([next.trusted.fingerprint]);
  });
  test("statements by untrusted keys, forged ones, self-retirement and re-announcing a retired key change nothing", () => {
    const stranger = keyPair();
    const forged = {
      ...statement("announce", stranger.privateKey, server),
      publicKey: toBase64(rawPublicKey(next.privateKey)),
    };
    const change = applyKeyStatements(
      [server.trusted],
      [
        statement("announce", stranger.privateKey, stranger),
        forged,
        statement("retire", server.privateKey, server),
        { kind: "announce" },
      ],
    );
    expect(change.keys).toEqual([server.trusted]);
    expect(change.rejected).toHaveLength(3);
    const again = applyKeyStatements(
      [next.trusted],
      [statement("announce", server.privateKey, next)],
      new Set([server.trusted.fingerprint]),
    );
    expect(again.keys).toEqual([next.trusted]);
  });
  test("the trust store keeps what it learned across a restart", () => {
    const path = join(stateDirectory(), "trusted_keys.json");
    const pinned = [
      { fingerprint: server.trusted.fingerprint, publicKey: toBase64(server.trusted.publicKey) },
    ];
    new TrustStore(pinned, path).apply([statement("announce", next.privateKey, server)]);
    expect(new TrustStore(pinned, path).keys().map((key) => key.fingerprint)).toEqual([
      server.trusted.fingerprint,
      next.trusted.fingerprint,
    ]);
    new TrustStore(pinned, path).apply([statement("retire", server.privateKey, next)]);
    expect(new TrustStore(pinned, path).keys().map((key) => key.fingerprint)).toEqual([
      next.trusted.fingerprint,
    ]);
  });
});

describe("verifySignedChecksums", () => {
  const sums = new TextEncoder().encode(
    `${"a".repeat(64)}  redflag-agent-linux-x64\n${"b".repeat(64)} *redflag-agent-windows-x64.exe\n`,
  );
  test("a good signature gives the map", () => {
    const map = verifySignedChecksums(sums, signBytes(server.privateKey, sums), [server.trusted]);
    expect(Object.fromEntries(map)).toEqual({
      "redflag-agent-linux-x64": "a".repeat(64),
      "redflag-agent-windows-x64.exe": "b".repeat(64),
    });
  });
  test("a bad signature, another key's, or changed sums are refused", () => {
    const signature = signBytes(server.privateKey, sums);
    const changed = new Uint8Array(sums);
    changed[0] = "c".charCodeAt(0);
    expect(() => verifySignedChecksums(changed, signature, [server.trusted])).toThrow("not signed by a key");
    expect(() =>
      verifySignedChecksums(sums, signBytes(keyPair().privateKey, sums), [server.trusted]),
    ).toThrow("not signed by a key");
    expect(() => verifySignedChecksums(sums, new Uint8Array(64), [server.trusted])).toThrow(
      "not signed by a key",
    );
  });
  test("a signed file that is not a checksum list is refused", () => {
    const junk = new TextEncoder().encode("hello\n");
    expect(() => verifySignedChecksums(junk, signBytes(server.privateKey, junk), [server.trusted])).toThrow(
      "line 1",
    );
  });
});

describe("pinServerKeys (registration)", () => {
  const next = keyPair();
  const offered = (key: ReturnType<typeof keyPair>, state = "active") => ({
    fingerprint: key.trusted.fingerprint,
    publicKey: toBase64(key.trusted.publicKey),
    state,
  });
  test("the expected fingerprint pins the active key", () => {
    const pinned = pinServerKeys([offered(server)], undefined, server.trusted.fingerprint);
    expect(pinned).toMatchObject({
      trustedOnFirstUse: false,
      keys: [{ fingerprint: server.trusted.fingerprint }],
    });
  });
  test("another key is refused with its own exit code, whatever fingerprint the server claims for it", () => {
    const stranger = keyPair();
    for (const keys of [
      [offered(stranger)],
      [{ ...offered(stranger), fingerprint: server.trusted.fingerprint }],
    ]) {
      expect(() => pinServerKeys(keys, undefined, server.trusted.fingerprint)).toThrow(
        `The server's signing key is ${stranger.trusted.fingerprint}, not the expected ${server.trusted.fingerprint}`,
      );
    }
    try {
      pinServerKeys([offered(stranger)], undefined, server.trusted.fingerprint);
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(11);
    }
  });
  test("during a rotation, the old fingerprint pins the new active key only through the old key's announcement", () => {
    const keys = [offered(next), offered(server, "previous")];
    expect(() => pinServerKeys(keys, [], server.trusted.fingerprint)).toThrow("not the expected");
    const pinned = pinServerKeys(
      keys,
      [statement("announce", next.privateKey, server)],
      server.trusted.fingerprint,
    );
    expect(pinned.keys.map((key) => key.fingerprint)).toEqual([
      server.trusted.fingerprint,
      next.trusted.fingerprint,
    ]);
  });
  test("without a fingerprint the active key is trusted on first use, and said so", () => {
    expect(pinServerKeys([offered(server)], undefined, undefined)).toMatchObject({
      trustedOnFirstUse: true,
      activeFingerprint: server.trusted.fingerprint,
    });
    expect(() => pinServerKeys(undefined, undefined, undefined)).toThrow("did not send its signing key");
  });
  test("an agent with no key pinned says how to fix it", () => {
    const result = verifyCommand(signed(), {
      agentId,
      keys: [],
      now,
      nonces: new NonceStore(join(stateDirectory(), "nonces.json")),
    });
    expect(result).toMatchObject({ ok: false, reason: "unknown_key" });
    expect(result.ok ? "" : result.message).toContain("register it again with --fingerprint");
  });
});

describe("learnServerKeys (check-in answers)", () => {
  test("a check-in's announcement is kept in the state directory; anything else is ignored", () => {
    const next = keyPair();
    const directory = stateDirectory();
    const files = stateFiles(directory);
    const config = configFileSchema.parse({
      serverKeys: [
        { fingerprint: server.trusted.fingerprint, publicKey: toBase64(server.trusted.publicKey) },
      ],
    });
    learnServerKeys({ config, files }, undefined);
    learnServerKeys({ config, files }, "not a list");
    learnServerKeys({ config, files }, [statement("announce", next.privateKey, next)]);
    expect(existsSync(files.trustedKeys)).toBe(false);
    learnServerKeys({ config, files }, [statement("announce", next.privateKey, server)]);
    expect(
      new TrustStore(config.serverKeys ?? [], files.trustedKeys).keys().map((key) => key.fingerprint),
    ).toEqual([server.trusted.fingerprint, next.trusted.fingerprint]);
  });
});
