import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/** Fixed, so the same server secret always derives the same key; changing it orphans every sealed secret. */
const keyInfo = "redflag notification target secrets v1";
const version = "v1";

function deriveKey(serverSecret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", serverSecret, "", keyInfo, 32));
}

/** The target's secrets no longer open: the server secret changed since they were saved. */
export class SealedSecretError extends Error {}

/**
 * Encrypts a target's secrets with AES-256-GCM under a key derived from the server secret. The target
 * id is the additional data, so a ciphertext copied onto another target does not open there.
 */
export function sealSecrets(serverSecret: string, targetId: string, secrets: Record<string, string>): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", deriveKey(serverSecret), iv);
  cipher.setAAD(Buffer.from(targetId));
  const encrypted = Buffer.concat([cipher.update(JSON.stringify(secrets), "utf8"), cipher.final()]);
  const sealed = Buffer.concat([encrypted, cipher.getAuthTag()]);
  return `${version}.${iv.toString("base64url")}.${sealed.toString("base64url")}`;
}

export function openSecrets(
  serverSecret: string,
  targetId: string,
  ciphertext: string | null,
): Record<string, string> {
  if (!ciphertext) return {};
  const [tag, ivText, sealedText] = ciphertext.split(".");
  if (tag !== version || !ivText || !sealedText) {
    throw new SealedSecretError("The target's stored secrets are not in a format this server reads");
  }
  const sealed = Buffer.from(sealedText, "base64url");
  try {
    const decipher = createDecipheriv(
      "aes-256-gcm",
      deriveKey(serverSecret),
      Buffer.from(ivText, "base64url"),
    );
    decipher.setAAD(Buffer.from(targetId));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    const plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
    return JSON.parse(plain.toString("utf8")) as Record<string, string>;
  } catch (error) {
    throw new SealedSecretError(
      "The target's secrets cannot be decrypted: the server secret changed since they were saved. Edit the target and enter its secrets again",
      { cause: error },
    );
  }
}
