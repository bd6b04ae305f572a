import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultRateLimits, startApiServer } from "@redflag/api";
import { privateKeyFromSeed } from "@redflag/api/services/signing/key-ring.ts";
import { changeSigningKeys } from "@redflag/api/services/signing/rotate-signing-key.ts";
import { signingKeysSettingKey } from "@redflag/api/services/signing/signing-keys.ts";
import { fromBase64, signingKeyFingerprint } from "@redflag/contracts/signing";
import { commands, settings } from "@redflag/db";
import { eq } from "drizzle-orm";
import { applyKeyStatements, trustedKey } from "../agent-bun/src/trust/keys.ts";
import { NonceStore } from "../agent-bun/src/trust/nonce-store.ts";
import { verifyCommand } from "../agent-bun/src/trust/verify-command.ts";
import { parseServerEnv } from "../apps/web/src/env.ts";
import { createTestDatabase, migrationsFolder } from "./harness/database.ts";
import { registerAgent, signIn } from "./harness/fixtures.ts";
import { errorCodeOf, type TestServer, testSecret, useTestServer } from "./harness/server.ts";

let server: TestServer;
useTestServer((started) => {
  server = started;
});

const checkIn = { agentVersion: "0.1.0", metrics: {}, rebootRequired: false };

function nonceStore() {
  return new NonceStore(join(mkdtempSync(join(tmpdir(), "redflag-nonces-")), "nonces.json"));
}

async function storedSeeds(): Promise<string[]> {
  const [row] = await server.api.db.select().from(settings).where(eq(settings.key, signingKeysSettingKey));
  const value = (row?.value ?? { keys: [] }) as { keys: { seed: string | null }[] };
  return value.keys.flatMap((key) => (key.seed ? [key.seed] : []));
}

describe("leased commands are signed", () => {
  test("each lease signs afresh over the command; the agent's verifier accepts it for its agent only", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const [pinned] = agent.signingKeys;
    if (!pinned) throw new Error("no signing key in the registration answer");
    expect(pinned.state).toBe("active");
    const key = trustedKey(pinned.publicKey);
    expect(key.fingerprint).toBe(pinned.fingerprint);

    const { id } = await admin.client.agents.requestCommand.mutate({ agentId: agent.agentId, type: "scan" });
    const [first] = (await agent.client.agent.checkIn.mutate(checkIn)).commands;
    if (!first) throw new Error("no command leased");
    expect(first).toMatchObject({ id, agentId: agent.agentId, keyId: key.fingerprint });
    expect(first.expiresAt.getTime() - first.issuedAt.getTime()).toBe(600_000);
    expect(first.keyStatements).toBeUndefined();
    const nonces = nonceStore();
    expect(verifyCommand(first, { agentId: agent.agentId, keys: [key], now: new Date(), nonces })).toEqual({
      ok: true,
    });
    expect(
      verifyCommand(first, { agentId: agent.agentId, keys: [key], now: new Date(), nonces }),
    ).toMatchObject({
      reason: "replayed",
    });
    const other = await registerAgent(server, admin);
    expect(
      verifyCommand(first, { agentId: other.agentId, keys: [key], now: new Date(), nonces: nonceStore() }),
    ).toMatchObject({ reason: "other_agent" });

    // Leased again (the lease ran out): a new nonce, window and signature.
    await server.api.db
      .update(commands)
      .set({ leaseExpiresAt: new Date(Date.now() - 1000) })
      .where(eq(commands.id, id));
    const [second] = (await agent.client.agent.checkIn.mutate(checkIn)).commands;
    if (!second) throw new Error("not leased again");
    expect(second.nonce).not.toBe(first.nonce);
    expect(second.signature).not.toBe(first.signature);
    expect(verifyCommand(second, { agentId: agent.agentId, keys: [key], now: new Date(), nonces })).toEqual({
      ok: true,
    });
  });

  test("a check-in without a rotation carries no key statements", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    expect((await agent.client.agent.checkIn.mutate(checkIn)).keyStatements).toBeUndefined();
  });
});

describe("key rotation", () => {
  test("rotate, promote, retire: statements reach the agent, commands switch keys, an audit event each step", async () => {
    const admin = await signIn(server, "admin");
    const viewer = await signIn(server, "viewer");
    const agent = await registerAgent(server, admin);
    const old = trustedKey(agent.signingKeys[0]?.publicKey ?? "");
    let trusted = [old];
    const retired = new Set<string>();
    const learn = (statements: unknown[] | undefined) => {
      const change = applyKeyStatements(trusted, statements ?? [], retired);
      for (const fingerprint of change.retired) retired.add(fingerprint);
      trusted = change.keys;
      return change;
    };
    const leaseScan = async () => {
      await admin.client.agents.requestCommand.mutate({ agentId: agent.agentId, type: "scan" });
      const answer = await agent.client.agent.checkIn.mutate(checkIn);
      const [command] = answer.commands;
      if (!command) throw new Error("no command");
      return { answer, command };
    };
    const verify = (command: unknown) =>
      verifyCommand(command, {
        agentId: agent.agentId,
        keys: trusted,
        now: new Date(),
        nonces: nonceStore(),
      });

    expect(await admin.client.signingKeys.current.query()).toMatchObject({
      activeFingerprint: old.fingerprint,
      rotation: "none",
      fromEnvironment: false,
    });
    expect(await errorCodeOf(viewer.client.signingKeys.rotate.mutate())).toBe("FORBIDDEN");
    expect(await errorCodeOf(admin.client.signingKeys.promote.mutate())).toBe("CONFLICT");
    expect(await errorCodeOf(admin.client.signingKeys.retire.mutate())).toBe("CONFLICT");

    const rotated = await admin.client.signingKeys.rotate.mutate();
    expect(await errorCodeOf(admin.client.signingKeys.rotate.mutate())).toBe("CONFLICT");
    expect((await admin.client.signingKeys.current.query()).rotation).toBe("announced");
    const announced = await leaseScan();
    expect(announced.command.keyId).toBe(old.fingerprint);
    expect(learn(announced.answer.keyStatements).added.map((key) => key.fingerprint)).toEqual([
      rotated.fingerprint,
    ]);
    expect(verify(announced.command)).toEqual({ ok: true });

    await admin.client.signingKeys.promote.mutate();
    const status = await admin.client.signingKeys.current.query();
    expect(status).toMatchObject({ activeFingerprint: rotated.fingerprint, rotation: "overlap" });
    expect(status.keys.map((key) => key.state).sort()).toEqual(["active", "previous"]);
    const promoted = await leaseScan();
    expect(promoted.command.keyId).toBe(rotated.fingerprint);
    expect(verify(promoted.command)).toEqual({ ok: true });
    // An agent that was offline while the key was only announced learns it from the command itself.
    expect(
      applyKeyStatements([old], promoted.command.keyStatements ?? []).keys.map((key) => key.fingerprint),
    ).toEqual([old.fingerprint, rotated.fingerprint]);

    await admin.client.signingKeys.retire.mutate();
    expect(await admin.client.signingKeys.current.query()).toMatchObject({
      activeFingerprint: rotated.fingerprint,
      rotation: "none",
      keys: [{ fingerprint: rotated.fingerprint, state: "active" }],
    });
    const after = await leaseScan();
    expect(learn(after.answer.keyStatements).retired).toEqual([old.fingerprint]);
    expect(trusted.map((key) => key.fingerprint)).toEqual([rotated.fingerprint]);
    expect(verify(after.command)).toEqual({ ok: true });
    expect(await storedSeeds()).toHaveLength(1);

    const audit = await admin.client.audit.list.query({ entityType: "signing_key" });
    expect(audit.items.map((event) => [event.action, event.entityId]).reverse()).toEqual([
      ["signing_key.rotate", rotated.fingerprint],
      ["signing_key.promote", rotated.fingerprint],
      ["signing_key.retire", old.fingerprint],
    ]);
  });

  test("no admin answer ever contains a private key", async () => {
    const admin = await signIn(server, "admin");
    const seeds = await storedSeeds();
    expect(seeds.length).toBeGreaterThan(0);
    const answers = JSON.stringify([
      await admin.client.settings.get.query(),
      await admin.client.signingKeys.current.query(),
      await admin.client.audit.list.query({}),
    ]);
    for (const seed of seeds) {
      expect(answers).not.toContain(seed);
      expect(answers).not.toContain(Buffer.from(seed, "base64").toString("hex"));
    }
  });
});

describe("REDFLAG_SIGNING_KEY", () => {
  const config = {
    version: "0.0.0-test",
    secret: testSecret,
    debug: false,
    maxBodyBytes: 1024 * 1024,
    migrationsFolder,
    rateLimits: defaultRateLimits,
    trustProxy: false,
  };

  test("the given key signs, and rotation from the dashboard is refused", async () => {
    const seed = randomBytes(32).toString("base64");
    const database = await createTestDatabase();
    const api = await startApiServer({
      database: database.handle,
      config: { ...config, signingKey: seed },
      leaseSweepIntervalMs: 0,
    });
    try {
      const ring = await api.signingKeys.current();
      expect(ring.fromEnvironment).toBe(true);
      expect(ring.active.fingerprint).toMatch(/^SHA256:/);
      expect(signingKeyFingerprint(privateKeyFromSeed(fromBase64(seed, 32) as Uint8Array))).toBe(
        ring.active.fingerprint,
      );
      const actor = {
        type: "user",
        userId: "usr_00000000000000000000000000",
        username: "admin",
        role: "admin",
        sessionId: "s",
      } as const;
      await expect(
        changeSigningKeys(api.db, { actor, step: "rotate", keys: api.signingKeys }),
      ).rejects.toThrow("The signing key comes from REDFLAG_SIGNING_KEY");
    } finally {
      await api.stop();
      await database.cleanup();
    }
  });

  test("a value that is not a 32-byte seed in base64 stops the start with a message naming it", async () => {
    const database = await createTestDatabase();
    try {
      for (const bad of [
        "not-a-key",
        randomBytes(31).toString("base64"),
        `${randomBytes(32).toString("hex")}`,
      ]) {
        expect(
          startApiServer({
            database: database.handle,
            config: { ...config, signingKey: bad },
            leaseSweepIntervalMs: 0,
          }),
        ).rejects.toThrow("REDFLAG_SIGNING_KEY must be the base64 of a 32-byte Ed25519 seed");
        expect(() =>
          parseServerEnv({ REDFLAG_SIGNING_KEY: bad }, { workingDirectory: process.cwd() }),
        ).toThrow(/REDFLAG_SIGNING_KEY: must be the base64 of a 32-byte Ed25519 seed/);
      }
      const good = randomBytes(32).toString("base64");
      expect(
        parseServerEnv({ REDFLAG_SIGNING_KEY: good }, { workingDirectory: process.cwd() }).config.signingKey,
      ).toBe(good);
    } finally {
      await database.cleanup();
    }
  });
});
