import { createPrivateKey, type KeyObject, randomBytes } from "node:crypto";
import {
  fromBase64,
  type KeyStatement,
  keyStatementSigningBytes,
  type PublicSigningKey,
  publicKeyBase64Schema,
  rawPublicKey,
  signBytes,
  signingKeyFingerprint,
  signingKeyFingerprintSchema,
  toBase64,
} from "@redflag/contracts/signing";
import { z } from "zod";

/**
 * The server's signing keys and their one state machine:
 *
 *   (start)  one `active` key signs every leased command and SHA256SUMS.
 *   rotate   a new key becomes `next`; check-in answers announce it, signed by the active key.
 *            Agents add it to the keys they trust. Commands are still signed by the active key.
 *   promote  `next` becomes `active` and signs from now on; the old key becomes `previous`, which
 *            agents still accept (the overlap), and its announcement of the new key is still served
 *            to agents that were offline during `next`.
 *   retire   `previous` becomes `retired`: its private key is deleted, and check-in answers carry a
 *            retirement of it signed by the active key; agents drop it.
 *
 * One rotation at a time: rotate needs no `next` and no `previous`, promote needs a `next`, retire a
 * `previous`. Statements are kept with the keys (signed when made), so they are served after the
 * key that signed them is gone, for `statementDays` after the rotation ends; agents offline longer
 * must be registered again with the new fingerprint.
 */
export const signingKeyRecordStates = ["active", "next", "previous", "retired"] as const;
export const statementDays = 30;

const seedSchema = z.string().regex(/^[A-Za-z0-9+/]{43}=$/);
const dateText = z.iso.datetime();
const storedStatementSchema = z.object({
  kind: z.enum(["announce", "retire"]),
  publicKey: publicKeyBase64Schema,
  issuedAt: dateText,
  signedBy: signingKeyFingerprintSchema,
  signature: z.string(),
});

const storedKeySchema = z.object({
  /** Base64 of the 32-byte Ed25519 seed; null once retired. */
  seed: seedSchema.nullable(),
  publicKey: publicKeyBase64Schema,
  fingerprint: signingKeyFingerprintSchema,
  state: z.enum(signingKeyRecordStates),
  createdAt: dateText,
  activatedAt: dateText.nullable(),
  retiredAt: dateText.nullable(),
  /** This key announced by the key active when it was made (none for the first key). */
  announcement: storedStatementSchema.nullable(),
  /** This key retired, signed by the key active then. */
  retirement: storedStatementSchema.nullable(),
});
export type StoredSigningKey = z.infer<typeof storedKeySchema>;

export const storedKeySetSchema = z.object({ version: z.literal(1), keys: z.array(storedKeySchema).min(1) });
export type StoredKeySet = z.infer<typeof storedKeySetSchema>;

/** PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows it. */
const pkcs8Prefix = Buffer.from("302e020100300506032b657004220420", "hex");

export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new Error(`An Ed25519 seed has 32 bytes, not ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([pkcs8Prefix, seed]), format: "der", type: "pkcs8" });
}

/**
 * REDFLAG_SIGNING_KEY: the base64 of a 32-byte Ed25519 seed (`openssl rand -base64 32`). Throws a
 * message naming the variable when it is anything else.
 */
export function parseSigningKeySeed(text: string): KeyObject {
  const seed = fromBase64(text.trim(), 32);
  if (!seed)
    throw new Error(
      "REDFLAG_SIGNING_KEY must be the base64 of a 32-byte Ed25519 seed (for example `openssl rand -base64 32`)",
    );
  return privateKeyFromSeed(seed);
}

export function newStoredKey(
  state: (typeof signingKeyRecordStates)[number],
  now: Date,
  seed = randomBytes(32),
): StoredSigningKey {
  const raw = rawPublicKey(privateKeyFromSeed(seed));
  return {
    seed: toBase64(seed),
    publicKey: toBase64(raw),
    fingerprint: signingKeyFingerprint(raw),
    state,
    createdAt: now.toISOString(),
    activatedAt: state === "active" ? now.toISOString() : null,
    retiredAt: null,
    announcement: null,
    retirement: null,
  };
}

export function signStatement(
  signer: StoredSigningKey,
  kind: KeyStatement["kind"],
  subject: StoredSigningKey,
  now: Date,
): NonNullable<StoredSigningKey["announcement"]> {
  if (!signer.seed) throw new Error(`The key ${signer.fingerprint} has no private key left`);
  const body = { kind, publicKey: subject.publicKey, issuedAt: now, signedBy: signer.fingerprint };
  const seed = fromBase64(signer.seed, 32) as Uint8Array;
  const signature = signBytes(privateKeyFromSeed(seed), keyStatementSigningBytes(body));
  return { ...body, issuedAt: now.toISOString(), signature: toBase64(signature) };
}

/** What requests use: the active key to sign with, the public keys, the statements agents need. */
export type KeyRing = {
  active: { privateKey: KeyObject; fingerprint: string; publicKey: Uint8Array };
  /** Active, next and previous keys (never a private key). */
  publicKeys: PublicSigningKey[];
  /** Empty unless a rotation is under way or ended less than `statementDays` ago. */
  statements: KeyStatement[];
  /** Set when REDFLAG_SIGNING_KEY provides the key: rotation is then done by changing it. */
  fromEnvironment: boolean;
};

function toStatement(stored: NonNullable<StoredSigningKey["announcement"]>): KeyStatement {
  return { ...stored, issuedAt: new Date(stored.issuedAt) };
}

export function keyRingOf(set: StoredKeySet, now: Date): KeyRing {
  const active = set.keys.find((key) => key.state === "active");
  if (!active?.seed) throw new Error("The stored signing keys have no active key");
  const recent = now.getTime() - statementDays * 86_400_000;
  const previous = set.keys.find((key) => key.state === "previous");
  const recentlyRetired = set.keys.filter(
    (key) => key.state === "retired" && key.retiredAt && Date.parse(key.retiredAt) > recent,
  );
  const statements: KeyStatement[] = [];
  // The chain an agent that trusts any key of the current rotation needs to reach the active key.
  if (previous || recentlyRetired.length > 0) {
    if (active.announcement) statements.push(toStatement(active.announcement));
  }
  const next = set.keys.find((key) => key.state === "next");
  if (next?.announcement) statements.push(toStatement(next.announcement));
  for (const key of recentlyRetired) if (key.retirement) statements.push(toStatement(key.retirement));
  return {
    active: {
      privateKey: privateKeyFromSeed(fromBase64(active.seed, 32) as Uint8Array),
      fingerprint: active.fingerprint,
      publicKey: fromBase64(active.publicKey, 32) as Uint8Array,
    },
    publicKeys: set.keys
      .filter((key) => key.state !== "retired")
      .map((key) => ({
        fingerprint: key.fingerprint,
        publicKey: key.publicKey,
        state: key.state as PublicSigningKey["state"],
      })),
    statements,
    fromEnvironment: false,
  };
}

/** The key ring of a key given by REDFLAG_SIGNING_KEY: one active key, nothing to announce. */
export function keyRingFromEnvironment(privateKey: KeyObject): KeyRing {
  const publicKey = rawPublicKey(privateKey);
  const fingerprint = signingKeyFingerprint(publicKey);
  return {
    active: { privateKey, fingerprint, publicKey },
    publicKeys: [{ fingerprint, publicKey: toBase64(publicKey), state: "active" }],
    statements: [],
    fromEnvironment: true,
  };
}
