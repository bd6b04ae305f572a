import { z } from "zod";

/**
 * The shapes of what the server signs, without any crypto: the dashboard's bundle imports the
 * contracts too, so `node:crypto` stays in signing.ts (imported as "@redflag/contracts/signing").
 */

/** `SHA256:` and the unpadded base64 of the SHA-256 of the 32-byte raw Ed25519 public key, as OpenSSH shows keys. */
export const signingKeyFingerprintSchema = z
  .string()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, { message: "must be a key fingerprint like SHA256:…(43 characters)" });
export type SigningKeyFingerprint = z.infer<typeof signingKeyFingerprintSchema>;

/** A raw 32-byte Ed25519 public key in standard base64. */
export const publicKeyBase64Schema = z.string().regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, {
  message: "must be a 32-byte Ed25519 public key in base64",
});

/** A 64-byte Ed25519 signature in standard base64. */
export const signatureBase64Schema = z
  .string()
  .regex(/^[A-Za-z0-9+/]{85}[AQgw]==$/, { message: "must be a 64-byte Ed25519 signature in base64" });

/** 16 random bytes or more, base64url: unique per lease, remembered by the agent until the command expires. */
export const nonceSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{22,64}$/, { message: "must be a base64url nonce" });

/** How long a signed command may be executed after it was leased, unless the server says otherwise. */
export const commandSignatureLifetimeSeconds = 600;

/** The fields the server adds to a leased command when it signs it (each lease afresh). */
export const commandSignatureSchema = z.object({
  issuedAt: z.date(),
  expiresAt: z.date(),
  nonce: nonceSchema,
  /** The fingerprint of the key that signed. */
  keyId: signingKeyFingerprintSchema,
  signature: signatureBase64Schema,
});
export type CommandSignature = z.infer<typeof commandSignatureSchema>;

export const signingKeyStates = ["active", "next", "previous"] as const;
export type SigningKeyState = (typeof signingKeyStates)[number];

/** A public key as the server hands it out. The fingerprint is for people: agents compute their own. */
export const publicSigningKeySchema = z.object({
  fingerprint: signingKeyFingerprintSchema,
  publicKey: publicKeyBase64Schema,
  state: z.enum(signingKeyStates),
});
export type PublicSigningKey = z.infer<typeof publicSigningKeySchema>;

/**
 * A statement about a key, signed by another key the agent already trusts: "announce" adds the
 * key (a rotation's new key), "retire" drops it (the old key, once the overlap is over).
 */
export const keyStatementSchema = z.object({
  kind: z.enum(["announce", "retire"]),
  publicKey: publicKeyBase64Schema,
  issuedAt: z.date(),
  signedBy: signingKeyFingerprintSchema,
  signature: signatureBase64Schema,
});
export type KeyStatement = z.infer<typeof keyStatementSchema>;

/** What the dashboard sees of the signing keys: fingerprints and states, never a private key. */
export const signingKeysStatusSchema = z.object({
  activeFingerprint: signingKeyFingerprintSchema,
  keys: z.array(z.object({ fingerprint: signingKeyFingerprintSchema, state: z.enum(signingKeyStates) })),
  /** `none`, `announced` (a next key agents are learning), `overlap` (old key still accepted). */
  rotation: z.enum(["none", "announced", "overlap"]),
  /** REDFLAG_SIGNING_KEY sets the key: no rotation from the dashboard. */
  fromEnvironment: z.boolean(),
});
export type SigningKeysStatus = z.infer<typeof signingKeysStatusSchema>;
export const signingKeyStepOutput = z.object({
  step: z.enum(["rotate", "promote", "retire"]),
  fingerprint: signingKeyFingerprintSchema,
});
