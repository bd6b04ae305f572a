import { rmSync } from "node:fs";
import {
  type LoadedConfig,
  maxServerUrls,
  type Registration,
  saveConfig,
  serverUrlFields,
  serverUrlListSchema,
  serverUrlSchema,
} from "../config/config.ts";
import { stateFiles } from "../config/paths.ts";
import { collectHostFacts } from "../host/facts.ts";
import { registerAgent } from "../transport/client.ts";
import { fingerprintArgumentSchema } from "../trust/pin-server-keys.ts";

/** What a registration token may look like; the server decides whether it is valid. */
export const registrationTokenPattern = /^[\x21-\x7e]{10,200}$/;

/** Why a --fingerprint argument is refused, or null when it is one. */
export function fingerprintProblem(fingerprint: string | undefined): string | null {
  if (fingerprint === undefined || fingerprintArgumentSchema.safeParse(fingerprint).success) return null;
  return `--fingerprint ${JSON.stringify(fingerprint)} is not a key fingerprint (SHA256: and 43 characters)`;
}

/**
 * The server URLs given as `--server` (repeated, or a comma list, or REDFLAG_SERVER_URL the same way),
 * the preferred first; or why they are refused.
 */
export function parseServerUrls(texts: readonly string[]): { urls: string[] } | { problem: string } {
  const parts = texts.flatMap((text) => text.split(",")).map((part) => part.trim());
  const urls: string[] = [];
  for (const part of parts) {
    const url = serverUrlSchema.safeParse(part);
    if (!url.success)
      return { problem: `Invalid server URL ${JSON.stringify(part)}: must be http:// or https://` };
    urls.push(url.data);
  }
  const list = serverUrlListSchema.safeParse(urls);
  if (!list.success)
    return {
      problem:
        urls.length > maxServerUrls
          ? `At most ${maxServerUrls} server URLs, not ${urls.length}`
          : urls.length === 0
            ? "No server URL given"
            : `A server URL is given twice: ${urls.join(", ")}`,
    };
  return { urls: list.data };
}

/**
 * Registers with the servers, the first that answers (pinning its signing key: the one named by `fingerprint`, else the one
 * it offers) and saves the registration and the keys; used by --register and --install-service.
 */
export async function registerAndSave(
  servers: readonly string[],
  token: string,
  fingerprint: string | undefined,
  config: LoadedConfig,
  stderr: (text: string) => void,
): Promise<Registration> {
  const files = stateFiles(config.stateDirectory);
  const host = collectHostFacts(files.machineId);
  const { registration, pollIntervalSeconds, serverKeys } = await registerAgent(servers, token, host, {
    fingerprint,
  });
  // Keys learned from another server's rotations must not be trusted for this one.
  rmSync(files.trustedKeys, { force: true });
  saveConfig(config, {
    ...config.file,
    ...serverUrlFields([...servers]),
    registration,
    pollIntervalSeconds,
    serverKeys: serverKeys.keys,
  });
  if (serverKeys.trustedOnFirstUse)
    stderr(
      `redflag-agent: warning: no --fingerprint given, so the server's signing key was trusted as it came: ${serverKeys.activeFingerprint}. Compare it with the fingerprint on the server's Add agent page.\n`,
    );
  return registration;
}
