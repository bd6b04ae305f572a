import { randomBytes } from "node:crypto";
import {
  type CommandSignature,
  commandSignatureLifetimeSeconds,
  commandSigningBytes,
  type SignedCommandFields,
  signBytes,
  toBase64,
} from "@redflag/contracts/signing";
import type { KeyRing } from "./key-ring.ts";

/** Signs one lease of a command: a fresh nonce and validity window each time it is handed out. */
export function signCommand(
  ring: KeyRing,
  command: Omit<SignedCommandFields, "issuedAt" | "expiresAt" | "nonce">,
  now: Date,
): CommandSignature {
  const issuedAt = now;
  const expiresAt = new Date(now.getTime() + commandSignatureLifetimeSeconds * 1000);
  const nonce = randomBytes(16).toString("base64url");
  const bytes = commandSigningBytes({ ...command, issuedAt, expiresAt, nonce });
  return {
    issuedAt,
    expiresAt,
    nonce,
    keyId: ring.active.fingerprint,
    signature: toBase64(signBytes(ring.active.privateKey, bytes)),
  };
}
