import { z } from "zod";
import { AgentError } from "../../errors.ts";
import { dockerHubDomain } from "./reference.ts";

export type Challenge = { scheme: string; parameters: Record<string, string> };

/**
 * Parses a `WWW-Authenticate` value such as
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"`.
 * Returns one challenge per scheme; quoted values may contain commas and escaped quotes.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let index = 0;
  const text = header.trim();
  let current: Challenge | null = null;
  while (index < text.length) {
    while (index < text.length && (text[index] === " " || text[index] === ",")) index++;
    const tokenMatch = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/.exec(text.slice(index));
    if (tokenMatch === null) break;
    const token = tokenMatch[0];
    index += token.length;
    let afterSpaces = index;
    while (text[afterSpaces] === " ") afterSpaces++;
    if (text[afterSpaces] === "=") {
      // A parameter of the current challenge.
      index = afterSpaces + 1;
      while (text[index] === " ") index++;
      let value = "";
      if (text[index] === '"') {
        index++;
        while (index < text.length && text[index] !== '"') {
          if (text[index] === "\\" && index + 1 < text.length) index++;
          value += text[index];
          index++;
        }
        index++;
      } else {
        const valueMatch = /^[^,\s]*/.exec(text.slice(index));
        value = valueMatch?.[0] ?? "";
        index += value.length;
      }
      if (current !== null) current.parameters[token.toLowerCase()] = value;
    } else {
      current = { scheme: token.toLowerCase(), parameters: {} };
      challenges.push(current);
    }
  }
  return challenges;
}

export type RegistryCredentials = { username: string; password: string } | { identityToken: string };

const authEntrySchema = z
  .object({
    auth: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    identitytoken: z.string().optional(),
  })
  .passthrough();

const dockerConfigSchema = z
  .object({
    auths: z.record(z.string(), authEntrySchema).optional(),
    credsStore: z.string().optional(),
    credHelpers: z.record(z.string(), z.string()).optional(),
  })
  .passthrough();

export type DockerConfigCredentials = {
  /** Credentials by normalised registry host (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). */
  byRegistry: Map<string, RegistryCredentials>;
  /** Registries whose credentials live in a helper program (not read by the agent). */
  helperRegistries: string[];
  /** The default helper (`credsStore`), when set. */
  credentialsStore: string | null;
};

/** `https://index.docker.io/v1/` → `docker.io`; `https://host:5000/v2/` → `host:5000`. */
export function normaliseRegistryKey(key: string): string {
  let host = key.trim().replace(/^[a-z]+:\/\//i, "");
  const slash = host.indexOf("/");
  if (slash >= 0) host = host.slice(0, slash);
  host = host.toLowerCase();
  if (host === "index.docker.io" || host === "registry-1.docker.io" || host === "registry.hub.docker.com") {
    return dockerHubDomain;
  }
  return host;
}

/** Reads a Docker `config.json`: `auths` entries (`auth` is base64 of `user:password`). */
export function parseDockerConfig(text: string): DockerConfigCredentials {
  const operation = "read Docker config.json";
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AgentError("it is not JSON", {
      source: "docker",
      kind: "unrecognized",
      operation,
      cause: error,
    });
  }
  const parsed = dockerConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new AgentError(`unexpected shape: ${parsed.error.issues[0]?.message ?? "invalid"}`, {
      source: "docker",
      kind: "unrecognized",
      operation,
      cause: parsed.error,
    });
  }
  const byRegistry = new Map<string, RegistryCredentials>();
  for (const [key, entry] of Object.entries(parsed.data.auths ?? {})) {
    const registry = normaliseRegistryKey(key);
    if (entry.identitytoken !== undefined && entry.identitytoken !== "") {
      byRegistry.set(registry, { identityToken: entry.identitytoken });
      continue;
    }
    if (entry.auth !== undefined && entry.auth !== "") {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon <= 0) {
        throw new AgentError(`the auth entry for ${registry} is not base64 of user:password`, {
          source: "docker",
          kind: "unrecognized",
          operation,
        });
      }
      byRegistry.set(registry, { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) });
      continue;
    }
    if (entry.username !== undefined && entry.password !== undefined) {
      byRegistry.set(registry, { username: entry.username, password: entry.password });
    }
  }
  return {
    byRegistry,
    helperRegistries: Object.keys(parsed.data.credHelpers ?? {}).map(normaliseRegistryKey),
    credentialsStore: parsed.data.credsStore ?? null,
  };
}

export function basicAuthorization(credentials: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, "utf8").toString("base64")}`;
}
