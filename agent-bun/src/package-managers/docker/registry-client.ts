import { z } from "zod";
import { AgentError } from "../../errors.ts";
import { basicAuthorization, parseWwwAuthenticate, type RegistryCredentials } from "./auth.ts";
import { type ImageReference, isSha256Digest, registryApiHost } from "./reference.ts";

/** Every manifest type a tag may point at, multi-arch first (registry 2.8 answers 404 without it). */
export const manifestAccept = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

export type ManifestHead = { digest: string; mediaType: string | null; sizeBytes: number | null };

export type RegistryClientOptions = {
  /** Credentials by registry host as in `parseDockerConfig` (`docker.io`, `127.0.0.1:5000`). */
  credentials?: ReadonlyMap<string, RegistryCredentials>;
  /** Registries spoken to over plain HTTP (Docker's "insecure-registries"). */
  insecureRegistries?: readonly string[];
  /** How long a manifest digest is reused, per (registry, repository, tag). Default five minutes. */
  cacheTtlMs?: number;
  /** Retries after a 429 whose Retry-After is at most `maxRetryAfterMs`. */
  maxRetries?: number;
  maxRetryAfterMs?: number;
  /** Per request. */
  timeoutMs?: number;
  /** Tags asked for per page (`?n=`); the registry may send fewer and a Link to the next page. */
  tagsPageSize?: number;
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  now?: () => number;
  sleep?: (milliseconds: number) => Promise<void>;
};

type Token = { value: string; expiresAt: number };

const tokenResponseSchema = z.object({
  token: z.string().min(1).optional(),
  access_token: z.string().min(1).optional(),
  expires_in: z.number().int().positive().optional(),
});

const tagsResponseSchema = z.object({
  name: z.string(),
  tags: z.array(z.string()).nullable(),
});

const defaultCacheTtlMs = 5 * 60 * 1000;
const maxTagPages = 200;

/** Talks to OCI/Docker registries: manifest digests by tag, tag lists, with auth, cache and back-off. */
export class RegistryClient {
  readonly #credentials: ReadonlyMap<string, RegistryCredentials>;
  readonly #insecure: ReadonlySet<string>;
  readonly #cacheTtlMs: number;
  readonly #maxRetries: number;
  readonly #maxRetryAfterMs: number;
  readonly #timeoutMs: number;
  readonly #tagsPageSize: number;
  readonly #fetch: (input: string, init: RequestInit) => Promise<Response>;
  readonly #now: () => number;
  readonly #sleep: (milliseconds: number) => Promise<void>;
  readonly #manifestCache = new Map<string, { head: ManifestHead; expiresAt: number }>();
  readonly #tokens = new Map<string, Token>();
  /** Registries that answered with a Basic challenge: send credentials right away next time. */
  readonly #basicRegistries = new Set<string>();
  /** Number of HTTP requests made, for tests and diagnostics. */
  requestCount = 0;

  constructor(options: RegistryClientOptions = {}) {
    this.#credentials = options.credentials ?? new Map();
    this.#insecure = new Set(options.insecureRegistries ?? []);
    this.#cacheTtlMs = options.cacheTtlMs ?? defaultCacheTtlMs;
    this.#maxRetries = options.maxRetries ?? 3;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#tagsPageSize = options.tagsPageSize ?? 1000;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((milliseconds) => Bun.sleep(milliseconds));
  }

  /** `HEAD /v2/<name>/manifests/<tag>`: the digest the tag points at now (cached for five minutes). */
  async headManifest(reference: ImageReference): Promise<ManifestHead> {
    const tag = reference.tag;
    if (tag === null) {
      throw new AgentError("a reference by digest alone has no tag to look up", {
        source: "docker",
        kind: "invalid_input",
        operation: `HEAD manifest ${reference.domain}/${reference.path}`,
      });
    }
    const cacheKey = `${reference.domain}\n${reference.path}\n${tag}`;
    const cached = this.#manifestCache.get(cacheKey);
    if (cached !== undefined && cached.expiresAt > this.#now()) return cached.head;
    const operation = `HEAD manifest ${reference.domain}/${reference.path}:${tag}`;
    const response = await this.#request(reference, `manifests/${encodeURIComponent(tag)}`, {
      method: "HEAD",
      accept: manifestAccept,
      operation,
    });
    const digest = response.headers.get("docker-content-digest");
    if (digest === null || !isSha256Digest(digest)) {
      throw new AgentError(`the registry sent no usable Docker-Content-Digest (${JSON.stringify(digest)})`, {
        source: "docker",
        kind: "unrecognized",
        operation,
      });
    }
    const length = Number(response.headers.get("content-length") ?? "");
    const head: ManifestHead = {
      digest,
      mediaType: response.headers.get("content-type"),
      sizeBytes: Number.isSafeInteger(length) && length > 0 ? length : null,
    };
    this.#manifestCache.set(cacheKey, { head, expiresAt: this.#now() + this.#cacheTtlMs });
    return head;
  }

  /** Every tag of the repository, following `Link: <…>; rel="next"` pages. */
  async listTags(reference: ImageReference): Promise<string[]> {
    const operation = `list tags ${reference.domain}/${reference.path}`;
    const tags: string[] = [];
    let next: string | null = `tags/list?n=${this.#tagsPageSize}`;
    for (let page = 0; next !== null; page++) {
      if (page >= maxTagPages) {
        throw new AgentError(`more than ${maxTagPages} pages of tags`, {
          source: "docker",
          kind: "unrecognized",
          operation,
        });
      }
      const response = await this.#request(reference, next, {
        method: "GET",
        accept: "application/json",
        operation,
      });
      let body: unknown;
      try {
        body = await response.json();
      } catch (error) {
        throw new AgentError("the tag list is not JSON", {
          source: "docker",
          kind: "unrecognized",
          operation,
          cause: error,
        });
      }
      const parsed = tagsResponseSchema.safeParse(body);
      if (!parsed.success) {
        throw new AgentError("the tag list does not have the expected shape", {
          source: "docker",
          kind: "unrecognized",
          operation,
          cause: parsed.error,
        });
      }
      tags.push(...(parsed.data.tags ?? []));
      next = nextLink(response.headers.get("link"), this.#baseUrl(reference), reference.path);
    }
    return tags;
  }

  #baseUrl(reference: ImageReference): string {
    const host = registryApiHost(reference.domain);
    return `${this.#insecure.has(reference.domain) ? "http" : "https"}://${host}`;
  }

  async #request(
    reference: ImageReference,
    relativePath: string,
    request: { method: "HEAD" | "GET"; accept: string; operation: string },
  ): Promise<Response> {
    const url = relativePath.startsWith("/")
      ? `${this.#baseUrl(reference)}${relativePath}`
      : `${this.#baseUrl(reference)}/v2/${reference.path}/${relativePath}`;
    const scope = `repository:${reference.path}:pull`;
    let authorization = await this.#knownAuthorization(reference.domain, scope);
    let triedChallenge = false;
    for (let attempt = 0; ; attempt++) {
      const response = await this.#send(url, request, authorization);
      if (response.status === 401 && !triedChallenge) {
        triedChallenge = true;
        await response.body?.cancel();
        authorization = await this.#answerChallenge(reference.domain, scope, response, request.operation);
        continue;
      }
      if (response.status === 429) {
        await response.body?.cancel();
        const waitMs = retryAfterMs(response.headers.get("retry-after"), this.#now()) ?? 1000 * 2 ** attempt;
        if (attempt >= this.#maxRetries || waitMs > this.#maxRetryAfterMs) {
          throw new AgentError(
            `the registry asks to slow down (429); retry in ${Math.ceil(waitMs / 1000)} s`,
            {
              source: "docker",
              kind: "unavailable",
              operation: request.operation,
              retryAfterMs: waitMs,
            },
          );
        }
        await this.#sleep(waitMs);
        continue;
      }
      if (response.ok) return response;
      throw await httpError(response, request.operation, triedChallenge);
    }
  }

  async #send(
    url: string,
    request: { method: string; accept: string; operation: string },
    authorization: string | null,
  ) {
    this.requestCount++;
    const headers: Record<string, string> = { accept: request.accept };
    if (authorization !== null) headers.authorization = authorization;
    try {
      return await this.#fetch(url, {
        method: request.method,
        headers,
        redirect: "follow",
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new AgentError(`cannot reach the registry: ${(error as Error).message}`, {
        source: "docker",
        kind: "unavailable",
        operation: request.operation,
        cause: error,
      });
    }
  }

  async #knownAuthorization(domain: string, scope: string): Promise<string | null> {
    const token = this.#tokens.get(`${domain}\n${scope}`);
    if (token !== undefined && token.expiresAt > this.#now()) return `Bearer ${token.value}`;
    const credentials = this.#credentials.get(domain);
    if (this.#basicRegistries.has(domain) && credentials !== undefined && "username" in credentials) {
      return basicAuthorization(credentials);
    }
    return null;
  }

  async #answerChallenge(
    domain: string,
    scope: string,
    response: Response,
    operation: string,
  ): Promise<string> {
    const header = response.headers.get("www-authenticate") ?? "";
    const challenges = parseWwwAuthenticate(header);
    const credentials = this.#credentials.get(domain);
    const bearer = challenges.find((challenge) => challenge.scheme === "bearer");
    if (bearer !== undefined)
      return `Bearer ${await this.#fetchToken(domain, scope, bearer.parameters, operation)}`;
    if (challenges.some((challenge) => challenge.scheme === "basic")) {
      if (credentials === undefined || !("username" in credentials)) {
        throw new AgentError(
          `${domain} wants a user name and password, and the Docker config has none for it`,
          {
            source: "docker",
            kind: "unauthorized",
            operation,
          },
        );
      }
      this.#basicRegistries.add(domain);
      return basicAuthorization(credentials);
    }
    throw new AgentError(
      `401 with an authentication scheme the agent does not speak: ${JSON.stringify(header)}`,
      {
        source: "docker",
        kind: "unauthorized",
        operation,
      },
    );
  }

  /** The token flow: GET realm?service=…&scope=…, with Basic credentials when the config has them. */
  async #fetchToken(
    domain: string,
    defaultScope: string,
    parameters: Record<string, string>,
    operation: string,
  ) {
    const realm = parameters.realm;
    if (realm === undefined || !/^https?:\/\//.test(realm)) {
      throw new AgentError(`the Bearer challenge has no usable realm (${JSON.stringify(realm)})`, {
        source: "docker",
        kind: "unrecognized",
        operation,
      });
    }
    const url = new URL(realm);
    if (parameters.service !== undefined) url.searchParams.set("service", parameters.service);
    const scope = parameters.scope ?? defaultScope;
    url.searchParams.set("scope", scope);
    const credentials = this.#credentials.get(domain);
    const headers: Record<string, string> = { accept: "application/json" };
    if (credentials !== undefined && "username" in credentials)
      headers.authorization = basicAuthorization(credentials);
    let response: Response;
    try {
      this.requestCount++;
      response =
        credentials !== undefined && "identityToken" in credentials
          ? await this.#fetch(realm, {
              method: "POST",
              headers: { "content-type": "application/x-www-form-urlencoded" },
              body: new URLSearchParams({
                grant_type: "refresh_token",
                refresh_token: credentials.identityToken,
                service: parameters.service ?? "",
                scope,
                client_id: "redflag-agent",
              }).toString(),
              signal: AbortSignal.timeout(this.#timeoutMs),
            })
          : await this.#fetch(url.toString(), {
              method: "GET",
              headers,
              signal: AbortSignal.timeout(this.#timeoutMs),
            });
    } catch (error) {
      throw new AgentError(`cannot reach the token service ${url.origin}: ${(error as Error).message}`, {
        source: "docker",
        kind: "unavailable",
        operation,
        cause: error,
      });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new AgentError(`the token service answered ${response.status}`, {
        source: "docker",
        kind: response.status === 401 || response.status === 403 ? "unauthorized" : "unavailable",
        operation,
      });
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new AgentError("the token service did not answer JSON", {
        source: "docker",
        kind: "unrecognized",
        operation,
        cause: error,
      });
    }
    const parsed = tokenResponseSchema.safeParse(body);
    const value = parsed.success ? (parsed.data.token ?? parsed.data.access_token) : undefined;
    if (!parsed.success || value === undefined) {
      throw new AgentError("the token service's answer holds no token", {
        source: "docker",
        kind: "unrecognized",
        operation,
      });
    }
    // Docker's default lifetime is 60 s; renew a little early.
    const lifetimeSeconds = parsed.data.expires_in ?? 60;
    this.#tokens.set(`${domain}\n${scope}`, {
      value,
      expiresAt: this.#now() + Math.max(lifetimeSeconds - 5, 1) * 1000,
    });
    return value;
  }
}

/** Retry-After as milliseconds: either delay-seconds or an HTTP date. */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (header === null) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(date - now, 0);
}

/** The next page from `Link: </v2/name/tags/list?last=x&n=100>; rel="next"`, resolved against the registry. */
export function nextLink(header: string | null, baseUrl: string, path: string): string | null {
  if (header === null) return null;
  for (const part of header.split(",")) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
    if (match?.[1] === undefined) continue;
    const url = new URL(match[1], baseUrl);
    // Only follow pages of the same repository on the same registry.
    if (url.origin !== new URL(baseUrl).origin || !url.pathname.startsWith(`/v2/${path}/tags/list`))
      return null;
    return `${url.pathname}${url.search}`;
  }
  return null;
}

async function httpError(
  response: Response,
  operation: string,
  afterChallenge: boolean,
): Promise<AgentError> {
  let detail = "";
  try {
    detail = (await response.text()).slice(0, 500);
  } catch {
    detail = "";
  }
  const status = response.status;
  const suffix = detail.trim() === "" ? "" : `: ${detail.trim()}`;
  if (status === 401 || status === 403) {
    return new AgentError(`${status} ${afterChallenge ? "even with credentials" : ""}${suffix}`, {
      source: "docker",
      kind: "unauthorized",
      operation,
    });
  }
  if (status === 404) {
    return new AgentError(`404: no such repository or tag${suffix}`, {
      source: "docker",
      kind: "failed",
      operation,
      retryable: false,
    });
  }
  return new AgentError(`HTTP ${status}${suffix}`, {
    source: "docker",
    kind: status >= 500 ? "unavailable" : "failed",
    operation,
    retryable: status >= 500,
  });
}
