import { createPublicKey } from "node:crypto";
import { signBytes } from "@redflag/contracts/signing";
import { getApi } from "./api";
import { agentFiles, builtFile, digestOf } from "./download-files";

/** The signature of SHA256SUMS, and the key that made it, as served beside it. */
export const checksumsSignatureFile = "SHA256SUMS.sig";
export const signingKeyFile = "signing-key.pem";

/** The exact bytes of /downloads/SHA256SUMS (`sha256sum -c` input), or null when nothing is built. */
export async function checksumsBytes(directory: string | null): Promise<Uint8Array<ArrayBuffer> | null> {
  const lines: string[] = [];
  for (const name of agentFiles) {
    const built = builtFile(directory, name);
    if (!built) continue;
    const digest = await digestOf(built.path, built.size, built.modified);
    lines.push(`${digest.hex}  ${name}\n`);
  }
  return lines.length === 0 ? null : new TextEncoder().encode(lines.join(""));
}

/**
 * The raw 64-byte Ed25519 signature of the active key over those bytes: what the agent's self-update
 * and the install scripts check (`openssl pkeyutl -verify -pubin -inkey signing-key.pem -rawin`).
 */
export async function checksumsSignature(sums: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const keys = await (await getApi()).server.signingKeys.current();
  return new Uint8Array(signBytes(keys.active.privateKey, sums));
}

/** The active public key as SPKI PEM, for tools that read keys as files. */
export async function signingKeyPem(): Promise<string> {
  const keys = await (await getApi()).server.signingKeys.current();
  return createPublicKey(keys.active.privateKey).export({ type: "spki", format: "pem" }).toString();
}
