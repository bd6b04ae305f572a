import { afterAll, describe, expect, test } from "bun:test";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signingKeyFingerprint } from "@redflag/contracts/signing";
import { ExitError, exitCodes } from "../../src/errors.ts";
import { ed25519KeyFromPem, verifyOwnBinary } from "../../src/service/verify-self.ts";

// --install-service --fingerprint checks its own binary against the server's signed SHA256SUMS
// (install.sh does the same with openssl when the host has it). Real Ed25519 keys and signatures.

const directory = mkdtempSync(join(tmpdir(), "redflag-verify-self-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const target = "redflag-agent-linux-x64";
const binaryPath = join(directory, target);
writeFileSync(binaryPath, "the agent binary\n");

function serverKey() {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const keyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  return { keyPem, privateKey, fingerprint: signingKeyFingerprint(publicKey) };
}

function signedSums(key: ReturnType<typeof serverKey>, content = "the agent binary\n", signer = key) {
  const sums = new TextEncoder().encode(`${createHash("sha256").update(content).digest("hex")}  ${target}\n`);
  return { sums, signature: new Uint8Array(sign(null, sums, signer.privateKey)), keyPem: key.keyPem };
}

function refusal(run: () => void): ExitError {
  try {
    run();
  } catch (error) {
    if (error instanceof ExitError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("the agent checks its own binary before installing itself", () => {
  test("a PEM Ed25519 key gives its raw 32 bytes; anything else is refused", () => {
    const key = serverKey();
    expect(ed25519KeyFromPem(key.keyPem)?.length).toBe(32);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({
      type: "spki",
      format: "pem",
    });
    expect(ed25519KeyFromPem(rsa.toString())).toBeNull();
    expect(ed25519KeyFromPem("not a key")).toBeNull();
  });

  test("passes for the binary the server's key signed", () => {
    const key = serverKey();
    verifyOwnBinary({ binaryPath, target, fingerprint: key.fingerprint, downloaded: signedSums(key) });
  });

  test("refuses a server whose key is not the fingerprint given", () => {
    const key = serverKey();
    const error = refusal(() =>
      verifyOwnBinary({
        binaryPath,
        target,
        fingerprint: serverKey().fingerprint,
        downloaded: signedSums(key),
      }),
    );
    expect(error.exitCode).toBe(exitCodes.untrusted);
    expect(error.message).toContain(`The server's signing key is ${key.fingerprint}, not the expected`);
  });

  test("refuses SHA256SUMS signed by another key", () => {
    const key = serverKey();
    const error = refusal(() =>
      verifyOwnBinary({
        binaryPath,
        target,
        fingerprint: key.fingerprint,
        downloaded: signedSums(key, "the agent binary\n", serverKey()),
      }),
    );
    expect(error.message).toContain("SHA256SUMS is not signed by a key this agent trusts");
  });

  test("refuses a binary other than the one signed, and a target the sums do not list", () => {
    const key = serverKey();
    const tampered = refusal(() =>
      verifyOwnBinary({
        binaryPath,
        target,
        fingerprint: key.fingerprint,
        downloaded: signedSums(key, "another\n"),
      }),
    );
    expect(tampered.message).toContain(`is not the ${target} the server signed`);
    const unlisted = refusal(() =>
      verifyOwnBinary({
        binaryPath,
        target: "redflag-agent-linux-arm64",
        fingerprint: key.fingerprint,
        downloaded: signedSums(key),
      }),
    );
    expect(unlisted.message).toContain("does not list redflag-agent-linux-arm64");
  });
});
