import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConfigFile } from "../../config/config.ts";
import { currentEnvironment } from "../../environment.ts";
import {
  type DockerConfigCredentials,
  EngineClient,
  parseDockerConfig,
  parseDockerHost,
  RegistryClient,
} from "./index.ts";

export type DockerSettings = {
  enabled: boolean | undefined;
  host: string | undefined;
  configFile: string | null;
  insecureRegistries: string[];
  stopTimeoutSeconds: number;
};

export function dockerSettings(config: ConfigFile): DockerSettings {
  const environment = currentEnvironment();
  const section = config.docker;
  return {
    enabled: section.enabled,
    host: section.host ?? environment.dockerHost ?? undefined,
    configFile:
      section.configFile ??
      (environment.dockerConfigDirectory === null
        ? null
        : join(environment.dockerConfigDirectory, "config.json")),
    insecureRegistries: section.insecureRegistries ?? [],
    stopTimeoutSeconds: section.stopTimeoutSeconds ?? 10,
  };
}

export function engineClient(settings: DockerSettings, timeoutMs?: number): EngineClient {
  return new EngineClient({
    host: parseDockerHost(settings.host),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
}

/** Docker's own config.json: registry credentials (a missing file means none). */
function readCredentials(settings: DockerSettings): DockerConfigCredentials["byRegistry"] {
  if (settings.configFile === null || !existsSync(settings.configFile)) return new Map();
  return parseDockerConfig(readFileSync(settings.configFile, "utf8")).byRegistry;
}

let shared: { key: string; client: RegistryClient } | null = null;

/**
 * One registry client per settings and credentials, kept across scans: its answers are cached for
 * five minutes and its tokens reused, so a daemon scanning often does not hammer registries.
 */
export function registryClient(settings: DockerSettings): RegistryClient {
  const credentials = readCredentials(settings);
  const key = JSON.stringify([settings.insecureRegistries, [...credentials.entries()]]);
  if (shared === null || shared.key !== key) {
    shared = {
      key,
      client: new RegistryClient({ credentials, insecureRegistries: settings.insecureRegistries }),
    };
  }
  return shared.client;
}

/** Docker runs here when its engine answers on DOCKER_HOST (or the default socket). */
export async function isDockerAvailable(settings: DockerSettings): Promise<boolean> {
  if (settings.enabled !== undefined) return settings.enabled;
  try {
    return await engineClient(settings, 3000).ping();
  } catch {
    return false;
  }
}
