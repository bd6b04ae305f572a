import { createHash, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import type { CommandTarget } from "./agent.ts";
import type { KeyStatement } from "./signed.ts";

/**
 * The one definition of what the server signs and agents verify: the exact bytes of a signed
 * command and of a key statement, and the key fingerprint. Server and agent both import this file
 * ("@redflag/contracts/signing"), so the two sides cannot drift.
 */

export * from "./signed.ts";

/** DER header of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const ed25519SpkiPrefix = Buffer.from("302a300506032b6570032100", "hex");

/** The raw 32-byte public key of an Ed25519 key object (public or private). */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const der = (key.type === "public" ? key : createPublicKey(key)).export({ type: "spki", format: "der" });
  if (der.length !== 44 || !der.subarray(0, 12).equals(ed25519SpkiPrefix))
    throw new Error("Not an Ed25519 key");
  return new Uint8Array(der.subarray(12));
}

/** The key object for a raw 32-byte Ed25519 public key. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new Error(`An Ed25519 public key has 32 bytes, not ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([ed25519SpkiPrefix, raw]), format: "der", type: "spki" });
}

/** `SHA256:<unpadded base64 of SHA-256 over the raw key>`, the form `ssh-keygen -l` prints. */
export function signingKeyFingerprint(publicKey: Uint8Array | KeyObject): string {
  const raw = publicKey instanceof Uint8Array ? publicKey : rawPublicKey(publicKey);
  if (raw.length !== 32) throw new Error(`An Ed25519 public key has 32 bytes, not ${raw.length}`);
  return `SHA256:${createHash("sha256").update(raw).digest("base64").replace(/=+$/, "")}`;
}

/**
 * JSON with object keys sorted (by UTF-16 code units, as `Array.prototype.sort`), no whitespace,
 * dates as ISO strings and undefined object members left out, as JSON.stringify does. Anything
 * JSON cannot say the same way twice (NaN, Infinity, bigint, functions) is refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Error("Cannot sign an invalid date");
    return JSON.stringify(value.toISOString());
  }
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new Error(`Cannot sign the number ${value}`);
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value))
        return `[${value.map((item) => (item === undefined ? "null" : canonicalJson(item))).join(",")}]`;
      const members = Object.keys(value)
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
      return `{${members.join(",")}}`;
    }
    default:
      throw new Error(`Cannot sign a ${typeof value}`);
  }
}

/** Everything a command signature covers. */
export type SignedCommandFields = {
  id: string;
  agentId: string;
  type: string;
  targets: CommandTarget[] | unknown[];
  parameters: Record<string, unknown>;
  issuedAt: Date;
  expiresAt: Date;
  nonce: string;
};

/** A label first, so a signature made for one kind of message can never pass for another. */
const commandDomain = "redflag-command-v1\n";
const keyStatementDomain = "redflag-key-statement-v1\n";

/** The bytes a command signature is made over. */
export function commandSigningBytes(fields: SignedCommandFields): Uint8Array {
  const { id, agentId, type, targets, parameters, issuedAt, expiresAt, nonce } = fields;
  return new TextEncoder().encode(
    commandDomain + canonicalJson({ id, agentId, type, targets, parameters, issuedAt, expiresAt, nonce }),
  );
}

/** The bytes a key statement's signature is made over. */
export function keyStatementSigningBytes(statement: Omit<KeyStatement, "signature">): Uint8Array {
  const { kind, publicKey, issuedAt, signedBy } = statement;
  return new TextEncoder().encode(
    keyStatementDomain + canonicalJson({ kind, publicKey, issuedAt, signedBy }),
  );
}

/** An Ed25519 signature (64 bytes). */
export function signBytes(privateKey: KeyObject, bytes: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, bytes, privateKey));
}

/** Whether `signature` is a valid Ed25519 signature of `bytes` by the raw public key; never throws. */
export function verifyBytes(publicKey: Uint8Array, bytes: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return verify(null, bytes, publicKeyFromRaw(publicKey), signature);
  } catch {
    return false;
  }
}

/** Standard base64 of bytes, and back; null when the text is not base64 of the expected length. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}
export function fromBase64(text: string, length: number): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text, "base64");
  return bytes.length === length && bytes.toString("base64") === text ? new Uint8Array(bytes) : null;
}
