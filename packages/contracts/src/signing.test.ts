import { describe, expect, test } from "bun:test";
import { createHash, generateKeyPairSync } from "node:crypto";
import {
  canonicalJson,
  commandSigningBytes,
  fromBase64,
  publicKeyFromRaw,
  rawPublicKey,
  signBytes,
  signingKeyFingerprint,
  signingKeyFingerprintSchema,
  verifyBytes,
} from "./signing.ts";

const fields = {
  id: "cmd_01",
  agentId: "agt_01",
  type: "install",
  targets: [{ b: 1, a: "x" }],
  parameters: { z: [1, { y: null, x: true }], a: undefined },
  issuedAt: new Date("2026-01-01T00:00:00.000Z"),
  expiresAt: new Date("2026-01-01T00:10:00.000Z"),
  nonce: "AAAAAAAAAAAAAAAAAAAAAA",
};

describe("canonical bytes", () => {
  test("keys sorted, no whitespace, dates as ISO, undefined members left out", () => {
    expect(canonicalJson({ b: 2, a: [1, "é"], c: undefined, d: new Date(0) })).toBe(
      '{"a":[1,"é"],"b":2,"d":"1970-01-01T00:00:00.000Z"}',
    );
  });
  test("the same fields in another key order give the same bytes", () => {
    const reordered = {
      ...fields,
      parameters: { z: [1, { x: true, y: null }] },
      targets: [{ a: "x", b: 1 }],
    };
    expect(commandSigningBytes(reordered)).toEqual(commandSigningBytes(fields));
  });
  test("every signed field changes the bytes", () => {
    const base = commandSigningBytes(fields);
    const changes = {
      id: "cmd_02",
      agentId: "agt_02",
      type: "scan",
      targets: [],
      parameters: {},
      issuedAt: new Date(1),
      expiresAt: new Date(2),
      nonce: "BBBBBBBBBBBBBBBBBBBBBB",
    };
    for (const [field, value] of Object.entries(changes))
      expect(commandSigningBytes({ ...fields, [field]: value })).not.toEqual(base);
  });
  test("values JSON cannot say one way are refused", () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow("NaN");
    expect(() => canonicalJson({ a: 1n })).toThrow("bigint");
    expect(() => canonicalJson(new Date("nope"))).toThrow("invalid date");
  });
});

describe("keys", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  test("the fingerprint is OpenSSH's SHA256: form over the raw key", () => {
    const raw = rawPublicKey(publicKey);
    expect(raw.length).toBe(32);
    const fingerprint = signingKeyFingerprint(raw);
    expect(fingerprint).toBe(
      `SHA256:${createHash("sha256").update(raw).digest("base64").replace(/=+$/, "")}`,
    );
    expect(signingKeyFingerprintSchema.safeParse(fingerprint).success).toBe(true);
    expect(signingKeyFingerprint(privateKey)).toBe(fingerprint);
    expect(rawPublicKey(publicKeyFromRaw(raw))).toEqual(raw);
  });
  test("a signature verifies with its key only, and not over other bytes", () => {
    const bytes = commandSigningBytes(fields);
    const signature = signBytes(privateKey, bytes);
    expect(verifyBytes(rawPublicKey(publicKey), bytes, signature)).toBe(true);
    expect(
      verifyBytes(
        rawPublicKey(publicKey),
        commandSigningBytes({ ...fields, nonce: "C".repeat(22) }),
        signature,
      ),
    ).toBe(false);
    const other = generateKeyPairSync("ed25519").publicKey;
    expect(verifyBytes(rawPublicKey(other), bytes, signature)).toBe(false);
    expect(verifyBytes(rawPublicKey(publicKey), bytes, signature.subarray(1))).toBe(false);
  });
  test("base64 is decoded only at the expected length and in canonical form", () => {
    expect(fromBase64(Buffer.alloc(32, 1).toString("base64"), 32)?.length).toBe(32);
    expect(fromBase64(Buffer.alloc(31, 1).toString("base64"), 32)).toBeNull();
    expect(fromBase64("not base64!", 32)).toBeNull();
  });
});
