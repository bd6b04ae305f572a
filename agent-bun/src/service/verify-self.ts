import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { ExitError, exitCodes } from "../errors.ts";
import { verifySignedChecksums } from "../trust/checksums.ts";
import { type TrustedKey, trustedKey } from "../trust/keys.ts";

/** The DER prefix of an Ed25519 public key in SPKI form (RFC 8410); the raw 32-byte key follows. */
const ed25519SpkiPrefix = Buffer.from("302a300506032b6570032100", "hex");

/** The raw Ed25519 key of a PEM "PUBLIC KEY", or null when it is not one. */
export function ed25519KeyFromPem(pem: string): Uint8Array | null {
  const match =
    /^-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]{1,200})-----END PUBLIC KEY-----\s*$/.exec(
      pem.trim(),
    );
  if (!match?.[1]) return null;
  const der = Buffer.from(match[1].replace(/\s/g, ""), "base64");
  if (der.length !== 44 || !der.subarray(0, 12).equals(ed25519SpkiPrefix)) return null;
  return new Uint8Array(der.subarray(12));
}

export type DownloadedTrust = { sums: Uint8Array; signature: Uint8Array; keyPem: string };

/**
 * Checks, before the binary is installed, that it is the one the server signed for this target: the
 * server's key is the one named by `fingerprint`, SHA256SUMS is signed by it, and this binary's
 * SHA-256 is the one listed. install.sh does the same with openssl when it has it; this covers the
 * hosts without it. Returns the server's key, checked against the fingerprint.
 */
export function verifyOwnBinary(options: {
  binaryPath: string;
  target: string;
  fingerprint: string;
  downloaded: DownloadedTrust;
}): TrustedKey {
  const raw = ed25519KeyFromPem(options.downloaded.keyPem);
  if (raw === null) {
    throw new ExitError("The server's signing-key.pem is not an Ed25519 public key", {
      exitCode: exitCodes.untrusted,
    });
  }
  const key = trustedKey(Buffer.from(raw).toString("base64"));
  if (key.fingerprint !== options.fingerprint) {
    throw new ExitError(
      `The server's signing key is ${key.fingerprint}, not the expected ${options.fingerprint}: not installing`,
      { exitCode: exitCodes.untrusted },
    );
  }
  const checksums = verifySignedChecksums(options.downloaded.sums, options.downloaded.signature, [key]);
  const expected = checksums.get(options.target);
  if (expected === undefined) {
    throw new ExitError(`The signed SHA256SUMS does not list ${options.target}`, {
      exitCode: exitCodes.untrusted,
    });
  }
  const actual = createHash("sha256").update(readFileSync(options.binaryPath)).digest("hex");
  if (actual !== expected) {
    throw new ExitError(
      `This binary (${options.binaryPath}) is not the ${options.target} the server signed (SHA-256 ${actual}, signed ${expected}): not installing`,
      { exitCode: exitCodes.untrusted },
    );
  }
  return key;
}
