import {
  fromBase64,
  type KeyStatement,
  keyStatementSigningBytes,
  publicKeyBase64Schema,
  signingKeyFingerprint,
  signingKeyFingerprintSchema,
  verifyBytes,
} from "@redflag/contracts/signing";
import { z } from "zod";

/** A server key the agent trusts: the raw 32-byte Ed25519 public key and its fingerprint (computed here). */
export type TrustedKey = { fingerprint: string; publicKey: Uint8Array };

/**
 * A key as the config file keeps it. The fingerprint is written for a person comparing it with the
 * dashboard; it must be the key's own, so a hand edit cannot make the two disagree.
 */
export const serverKeySchema = z
  .strictObject({ fingerprint: signingKeyFingerprintSchema, publicKey: publicKeyBase64Schema })
  .refine((key) => signingKeyFingerprint(decodeKey(key.publicKey)) === key.fingerprint, {
    message: "the fingerprint is not the key's",
  });
export type ServerKey = z.infer<typeof serverKeySchema>;

function decodeKey(base64: string): Uint8Array {
  const raw = fromBase64(base64, 32);
  if (!raw) throw new Error("not a 32-byte key in base64");
  return raw;
}

/** The trusted form of a key written as base64 (validated by the schemas above or by the caller). */
export function trustedKey(publicKeyBase64: string): TrustedKey {
  const publicKey = decodeKey(publicKeyBase64);
  return { fingerprint: signingKeyFingerprint(publicKey), publicKey };
}

export function toServerKey(key: TrustedKey): ServerKey {
  return { fingerprint: key.fingerprint, publicKey: Buffer.from(key.publicKey).toString("base64") };
}

/** Why a key statement was not taken; the trusted set is left as it was. */
export type StatementRejection = { statement: KeyStatement; reason: string };

export type KeySetChange = {
  keys: TrustedKey[];
  added: TrustedKey[];
  retired: string[];
  rejected: StatementRejection[];
};

/**
 * Applies the server's key statements to a trusted set. An announcement adds a key only when a key
 * already trusted signed it, and never brings back a key once retired (a replayed old announcement
 * changes nothing). A retirement drops a key only when another trusted key signed it, and never the
 * last one. Statements are untrusted input: each is checked on its own.
 */
export function applyKeyStatements(
  keys: readonly TrustedKey[],
  statements: readonly unknown[],
  retiredBefore: ReadonlySet<string> = new Set(),
): KeySetChange {
  let current = [...keys];
  const added: TrustedKey[] = [];
  const retired: string[] = [];
  const rejected: StatementRejection[] = [];
  // Announcements first: a rotation's retirement is signed by the key its announcement brings.
  const parsed = statements.map((statement) => keyStatementShape.safeParse(statement));
  const ordered = parsed
    .filter((result) => result.success)
    .map((result) => result.data)
    .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "announce" ? -1 : 1));
  for (const statement of ordered) {
    const reason = checkStatement(statement, current);
    if (reason) {
      rejected.push({ statement, reason });
      continue;
    }
    const subject = trustedKey(statement.publicKey);
    const isTrusted = current.some((key) => key.fingerprint === subject.fingerprint);
    if (statement.kind === "announce") {
      if (isTrusted) continue;
      if (retiredBefore.has(subject.fingerprint) || retired.includes(subject.fingerprint)) {
        rejected.push({ statement, reason: "the key was retired before" });
        continue;
      }
      current.push(subject);
      added.push(subject);
    } else {
      if (!isTrusted) continue;
      if (statement.signedBy === subject.fingerprint) {
        rejected.push({ statement, reason: "a key cannot retire itself" });
        continue;
      }
      current = current.filter((key) => key.fingerprint !== subject.fingerprint);
      retired.push(subject.fingerprint);
    }
  }
  return { keys: current, added, retired, rejected };
}

const keyStatementShape = z.object({
  kind: z.enum(["announce", "retire"]),
  publicKey: publicKeyBase64Schema,
  issuedAt: z.date(),
  signedBy: signingKeyFingerprintSchema,
  signature: z.string(),
});

function checkStatement(statement: KeyStatement, keys: readonly TrustedKey[]): string | null {
  const signer = keys.find((key) => key.fingerprint === statement.signedBy);
  if (!signer) return `signed by ${statement.signedBy}, a key this agent does not trust`;
  const signature = fromBase64(statement.signature, 64);
  if (!signature || !verifyBytes(signer.publicKey, keyStatementSigningBytes(statement), signature))
    return "the signature does not verify";
  return null;
}
