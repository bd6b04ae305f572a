import { rmSync } from "node:fs";
import { type LoadedConfig, type Registration, saveConfig } from "../config/config.ts";
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
 * Registers with the server (pinning its signing key: the one named by `fingerprint`, else the one
 * it offers) and saves the registration and the keys; used by --register and --install-service.
 */
export async function registerAndSave(
  server: string,
  token: string,
  fingerprint: string | undefined,
  config: LoadedConfig,
  stderr: (text: string) => void,
): Promise<Registration> {
  const files = stateFiles(config.stateDirectory);
  const host = collectHostFacts(files.machineId);
  const { registration, pollIntervalSeconds, serverKeys } = await registerAgent(server, token, host, {
    fingerprint,
  });
  // Keys learned from another server's rotations must not be trusted for this one.
  rmSync(files.trustedKeys, { force: true });
  saveConfig(config, {
    ...config.file,
    serverUrl: server,
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
