import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConfigFile } from "../../config/config.ts";
import { currentEnvironment } from "../../environment.ts";
import {
  type DockerConfigCredentials,
  dockerHubDomain,
  EngineClient,
  parseDockerConfig,
  parseDockerHost,
  type RegistryAuth,
  RegistryClient,
} from "./index.ts";

export type DockerSettings = {
  enabled: boolean | undefined;
  host: string | undefined;
  configFile: string | null;
  insecureRegistries: string[];
  stopTimeoutSeconds: number;
  /** How long a recreated container must keep running (and not restart) to count as updated. */
  settleSeconds: number;
};

/** Long enough for a program that fails on its configuration to have exited and been seen. */
const defaultSettleSeconds = 5;

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
    settleSeconds: defaultSettleSeconds,
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

/** What the engine needs to pull from `domain` (a normalised registry host), when config.json has it. */
export function registryAuthFor(settings: DockerSettings, domain: string): RegistryAuth | undefined {
  const credentials = readCredentials(settings).get(domain);
  if (credentials === undefined) return undefined;
  // Docker Hub's credentials are filed under its v1 index address.
  return { serverAddress: domain === dockerHubDomain ? "https://index.docker.io/v1/" : domain, credentials };
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
