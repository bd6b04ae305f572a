import { fromBase64, verifyBytes } from "@redflag/contracts/signing";
import { ExitError, exitCodes } from "../errors.ts";
import type { TrustedKey } from "./keys.ts";

/**
 * The file → SHA-256 (hex) map of a SHA256SUMS file, after checking its signature (the raw 64 bytes
 * the server serves as SHA256SUMS.sig) against the trusted keys. Throws when it does not verify
 * or a line is not `<64 hex>  <file name>`; nothing of an unverified file is returned.
 */
export function verifySignedChecksums(
  sums: Uint8Array,
  signature: Uint8Array,
  keys: readonly TrustedKey[],
): Map<string, string> {
  if (!keys.some((key) => verifyBytes(key.publicKey, sums, signature))) {
    throw new ExitError(
      `SHA256SUMS is not signed by a key this agent trusts (${keys.map((key) => key.fingerprint).join(", ") || "none"})`,
      { exitCode: exitCodes.untrusted },
    );
  }
  const checksums = new Map<string, string>();
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(sums);
  } catch (error) {
    throw new ExitError("SHA256SUMS is not UTF-8 text", { exitCode: exitCodes.untrusted, cause: error });
  }
  const lines = text.split("\n");
  for (const [index, line] of lines.entries()) {
    if (line === "" && index === lines.length - 1) continue;
    // sha256sum's format: two spaces (text mode) or a space and `*` (binary mode).
    const match = /^([0-9a-f]{64}) [ *]([A-Za-z0-9._-]{1,255})$/.exec(line);
    if (!match?.[1] || !match[2])
      throw new ExitError(`SHA256SUMS line ${index + 1} is not "<sha256>  <file>"`, {
        exitCode: exitCodes.untrusted,
      });
    checksums.set(match[2], match[1]);
  }
  return checksums;
}

/** The raw signature from a SHA256SUMS.sig answer (64 bytes, or their base64). */
export function signatureBytes(body: Uint8Array): Uint8Array | null {
  if (body.length === 64) return body;
  return fromBase64(new TextDecoder().decode(body).trim(), 64);
}
