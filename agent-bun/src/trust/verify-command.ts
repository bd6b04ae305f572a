import {
  commandSigningBytes,
  fromBase64,
  nonceSchema,
  signatureBase64Schema,
  signingKeyFingerprintSchema,
  verifyBytes,
} from "@redflag/contracts/signing";
import { z } from "zod";
import type { TrustedKey } from "./keys.ts";
import type { NonceStore } from "./nonce-store.ts";

/** Why a command was refused, in one word the server and the dashboard show. */
export type RefusalReason =
  | "unsigned"
  | "malformed"
  | "other_agent"
  | "unknown_key"
  | "tampered"
  | "not_yet_valid"
  | "expired"
  | "too_long"
  | "replayed";

export type Verification = { ok: true } | { ok: false; reason: RefusalReason; message: string };

/** How far ahead of this host's clock a command's issue time may be (clocks drift a little). */
export const clockSkewAllowanceMs = 60_000;
/** The longest validity the agent accepts: it bounds how long nonces must be kept. */
export const maxCommandLifetimeMs = 3_600_000;

/** Read from the command as it arrived: nothing about it is trusted before the signature verifies. */
const signedCommandShape = z.object({
  id: z.string(),
  agentId: z.string(),
  type: z.string(),
  targets: z.array(z.unknown()),
  parameters: z.record(z.string(), z.unknown()),
  issuedAt: z.date(),
  expiresAt: z.date(),
  nonce: nonceSchema,
  keyId: signingKeyFingerprintSchema,
  signature: signatureBase64Schema,
});

export type VerifyOptions = {
  agentId: string;
  keys: readonly TrustedKey[];
  now: Date;
  /** The accepted nonce is recorded here (on disk) before this returns ok. */
  nonces: NonceStore;
};

function refuse(reason: RefusalReason, message: string): Verification {
  return { ok: false, reason, message };
}

/**
 * Checks a leased command before anything of it runs: signed by a trusted key over every field
 * that says what to do, for this agent, inside its validity window, and never seen before.
 * The signature is checked before the times, so a changed expiry reads as tampering.
 */
export function verifyCommand(command: unknown, options: VerifyOptions): Verification {
  const record = (typeof command === "object" && command !== null ? command : {}) as Record<string, unknown>;
  if (record.signature === undefined && record.keyId === undefined)
    return refuse("unsigned", "the command carries no signature");
  const parsed = signedCommandShape.safeParse(command);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse(
      "malformed",
      `the signed command is malformed (${issue?.path.join(".")}: ${issue?.message})`,
    );
  }
  const fields = parsed.data;
  if (fields.agentId !== options.agentId)
    return refuse("other_agent", `the command was signed for ${fields.agentId}, not this agent`);
  const key = options.keys.find((candidate) => candidate.fingerprint === fields.keyId);
  if (!key)
    return refuse(
      "unknown_key",
      options.keys.length === 0
        ? "this agent has no server key pinned (registered before commands were signed): register it again with --fingerprint"
        : `signed by ${fields.keyId}, a key this agent does not trust`,
    );
  const signature = fromBase64(fields.signature, 64);
  if (!signature || !verifyBytes(key.publicKey, commandSigningBytes(fields), signature))
    return refuse("tampered", "the signature does not match the command (changed after signing)");
  const now = options.now.getTime();
  if (fields.issuedAt.getTime() - now > clockSkewAllowanceMs)
    return refuse("not_yet_valid", `issued at ${fields.issuedAt.toISOString()}, ahead of this host's clock`);
  if (fields.expiresAt.getTime() < now)
    return refuse("expired", `expired at ${fields.expiresAt.toISOString()}`);
  if (fields.expiresAt.getTime() - fields.issuedAt.getTime() > maxCommandLifetimeMs)
    return refuse("too_long", "valid for longer than an hour");
  if (!options.nonces.claim(fields.nonce, fields.expiresAt, options.now))
    return refuse(
      "replayed",
      options.nonces.unreadable
        ? "the nonce store cannot be read, so a replay cannot be ruled out"
        : "this command was already accepted once (same nonce)",
    );
  return { ok: true };
}
