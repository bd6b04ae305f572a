import { z } from "zod";
import { AgentError } from "../../errors.ts";
import type { RegistryCredentials } from "./auth.ts";

export type DockerHost = { kind: "unix"; socketPath: string } | { kind: "tcp"; baseUrl: string };

export const defaultDockerHost = "unix:///var/run/docker.sock";

/** Reads DOCKER_HOST (`unix:///path` or `tcp://host:port`); the caller passes the value it parsed from env. */
export function parseDockerHost(value: string | undefined): DockerHost {
  const text = value === undefined || value.trim() === "" ? defaultDockerHost : value.trim();
  if (text.startsWith("unix://")) {
    const socketPath = text.slice("unix://".length);
    if (!socketPath.startsWith("/")) throw invalidHost(text, "a unix socket path must be absolute");
    return { kind: "unix", socketPath };
  }
  if (text.startsWith("tcp://") || text.startsWith("http://")) {
    let url: URL;
    try {
      url = new URL(text.replace(/^tcp:/, "http:"));
    } catch (error) {
      throw invalidHost(text, (error as Error).message);
    }
    return { kind: "tcp", baseUrl: `http://${url.host}` };
  }
  throw invalidHost(text, "only unix:// and tcp:// are supported (TLS and ssh:// are not)");
}

function invalidHost(text: string, reason: string): AgentError {
  return new AgentError(`DOCKER_HOST ${JSON.stringify(text)}: ${reason}`, {
    source: "docker",
    kind: "invalid_input",
    operation: "read DOCKER_HOST",
  });
}

export const containerSummarySchema = z
  .object({
    Id: z.string(),
    Names: z.array(z.string()).default([]),
    Image: z.string(),
    ImageID: z.string(),
    State: z.string().optional(),
    Status: z.string().optional(),
    Labels: z.record(z.string(), z.string()).nullable().optional(),
  })
  .passthrough();
export type ContainerSummary = z.infer<typeof containerSummarySchema>;

export const imageInspectSchema = z
  .object({
    Id: z.string(),
    RepoTags: z.array(z.string()).nullable().default([]),
    RepoDigests: z.array(z.string()).nullable().default([]),
    Created: z.string().optional(),
    Size: z.number().optional(),
    Architecture: z.string().optional(),
    Os: z.string().optional(),
    /** The defaults a container gets from the image (Env, Cmd, Labels, …). */
    Config: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .passthrough();
export type ImageInspect = z.infer<typeof imageInspectSchema>;

export const containerInspectSchema = z
  .object({
    Id: z.string(),
    Name: z.string(),
    Image: z.string(),
    State: z
      .object({
        Running: z.boolean(),
        Restarting: z.boolean().optional(),
        ExitCode: z.number().optional(),
        Health: z.object({ Status: z.string() }).passthrough().nullable().optional(),
      })
      .passthrough(),
    RestartCount: z.number().optional(),
    Config: z.object({ Image: z.string(), Hostname: z.string().optional() }).passthrough(),
    HostConfig: z.object({ NetworkMode: z.string().optional() }).passthrough(),
    Mounts: z
      .array(
        z
          .object({
            Type: z.string(),
            Name: z.string().optional(),
            Destination: z.string(),
            RW: z.boolean().optional(),
          })
          .passthrough(),
      )
      .nullable()
      .optional(),
    NetworkSettings: z
      .object({ Networks: z.record(z.string(), z.record(z.string(), z.unknown())).nullable().optional() })
      .passthrough(),
  })
  .passthrough();
export type ContainerInspect = z.infer<typeof containerInspectSchema>;

export type EngineClientOptions = {
  host: DockerHost;
  timeoutMs?: number;
  /** For tests; by default Bun's fetch, with its `unix` option for sockets. */
  fetch?: (input: string, init: RequestInit & { unix?: string }) => Promise<Response>;
};

/** A few read-only calls of the Docker Engine API, over the unix socket or TCP. */
export class EngineClient {
  readonly #host: DockerHost;
  readonly #timeoutMs: number;
  readonly #fetch: (input: string, init: RequestInit & { unix?: string }) => Promise<Response>;

  constructor(options: EngineClientOptions) {
    this.#host = options.host;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** `GET /_ping`: true when the engine answers OK. */
  async ping(): Promise<boolean> {
    const response = await this.#get("/_ping", "ping the Docker engine");
    const text = await response.text();
    if (text.trim() !== "OK") {
      throw new AgentError(`unexpected answer ${JSON.stringify(text.slice(0, 100))}`, {
        source: "docker",
        kind: "unrecognized",
        operation: "ping the Docker engine",
      });
    }
    return true;
  }

  /** `GET /containers/json` (running ones; `all` for every container). */
  async listContainers(options: { all?: boolean } = {}): Promise<ContainerSummary[]> {
    const operation = "list containers";
    const response = await this.#get(`/containers/json${options.all === true ? "?all=1" : ""}`, operation);
    return parseBody(await readJson(response, operation), z.array(containerSummarySchema), operation);
  }

  /** `GET /images/<id>/json`: RepoTags and RepoDigests of one local image. */
  async inspectImage(idOrName: string): Promise<ImageInspect> {
    const operation = `inspect image ${idOrName.slice(0, 100)}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.:/@-]*$/.test(idOrName) || idOrName.includes("..")) {
      throw new AgentError("not an image id or name", {
        source: "docker",
        kind: "invalid_input",
        operation,
      });
    }
    const response = await this.#get(`/images/${encodeURIComponent(idOrName)}/json`, operation);
    return parseBody(await readJson(response, operation), imageInspectSchema, operation);
  }

  /** `GET /containers/<id>/json`: the container's whole configuration and state. */
  async inspectContainer(id: string): Promise<ContainerInspect> {
    const operation = `inspect container ${id.slice(0, 64)}`;
    const response = await this.#get(
      `/containers/${encodeURIComponent(assertEngineName(id, operation))}/json`,
      operation,
    );
    return parseBody(await readJson(response, operation), containerInspectSchema, operation);
  }

  /**
   * `POST /images/create?fromImage=REPO&tag=TAG`: pulls an image (a tag or a digest). The engine
   * answers 200 and streams JSON lines; a failure arrives as a line with `error`, so every line is read.
   */
  async pullImage(
    repository: string,
    tagOrDigest: string,
    onStatus?: (status: string) => void,
    registryAuth?: RegistryAuth,
  ): Promise<void> {
    const operation = `pull ${repository}:${tagOrDigest}`.slice(0, 400);
    const query = new URLSearchParams({ fromImage: repository, tag: tagOrDigest });
    const response = await this.#request("POST", `/images/create?${query}`, operation, {
      timeoutMs: 30 * 60_000,
      // The engine reads no config.json: a pull from a private registry carries its credentials.
      ...(registryAuth === undefined
        ? {}
        : { headers: { "x-registry-auth": encodeRegistryAuth(registryAuth) } }),
    });
    const text = await response.text();
    let last = "";
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      let message: { status?: unknown; error?: unknown; errorDetail?: { message?: unknown } };
      try {
        message = JSON.parse(line);
      } catch (error) {
        throw new AgentError(
          `the engine's pull progress is not JSON: ${JSON.stringify(line.slice(0, 200))}`,
          {
            source: "docker",
            kind: "unrecognized",
            operation,
            cause: error,
          },
        );
      }
      if (message.error !== undefined || message.errorDetail !== undefined) {
        throw new AgentError(String(message.errorDetail?.message ?? message.error), {
          source: "docker",
          kind: "failed",
          operation,
        });
      }
      if (typeof message.status === "string") {
        last = message.status;
        onStatus?.(message.status);
      }
    }
    if (!/^(Status: |Digest: |Downloaded newer image|Image is up to date)/m.test(text) && last === "") {
      throw new AgentError("the engine answered without any pull status", {
        source: "docker",
        kind: "unrecognized",
        operation,
      });
    }
  }

  /** `POST /images/<image>/tag?repo=REPO&tag=TAG`. */
  async tagImage(image: string, repository: string, tag: string): Promise<void> {
    const operation = `tag ${image.slice(0, 200)} as ${repository}:${tag}`;
    const query = new URLSearchParams({ repo: repository, tag });
    await this.#request(
      "POST",
      `/images/${encodeURIComponent(assertEngineName(image, operation))}/tag?${query}`,
      operation,
      {
        ok: [201, 200],
      },
    );
  }

  /** `POST /containers/<id>/stop?t=SECONDS` (304: it was not running). */
  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const operation = `stop container ${id.slice(0, 64)}`;
    await this.#request(
      "POST",
      `/containers/${encodeURIComponent(assertEngineName(id, operation))}/stop?t=${timeoutSeconds}`,
      operation,
      {
        ok: [204, 304],
        timeoutMs: (timeoutSeconds + 30) * 1000,
      },
    );
  }

  /** `POST /containers/<id>/start` (304: already running). */
  async startContainer(id: string): Promise<void> {
    const operation = `start container ${id.slice(0, 64)}`;
    await this.#request(
      "POST",
      `/containers/${encodeURIComponent(assertEngineName(id, operation))}/start`,
      operation,
      {
        ok: [204, 304],
      },
    );
  }

  /** `POST /containers/<id>/rename?name=NAME`. */
  async renameContainer(id: string, name: string): Promise<void> {
    const operation = `rename container ${id.slice(0, 64)} to ${name.slice(0, 64)}`;
    await this.#request(
      "POST",
      `/containers/${encodeURIComponent(assertEngineName(id, operation))}/rename?${new URLSearchParams({ name: assertContainerName(name, operation) })}`,
      operation,
      { ok: [204] },
    );
  }

  /** `POST /containers/create?name=NAME` with a full container configuration; returns the new id. */
  async createContainer(name: string, body: Record<string, unknown>): Promise<string> {
    const operation = `create container ${name.slice(0, 64)}`;
    const response = await this.#request(
      "POST",
      `/containers/create?${new URLSearchParams({ name: assertContainerName(name, operation) })}`,
      operation,
      { ok: [201], body },
    );
    return parseBody(
      await readJson(response, operation),
      z.object({ Id: z.string().min(1) }).passthrough(),
      operation,
    ).Id;
  }

  /** `POST /networks/<network>/connect`: a further network for a container (create takes only one). */
  async connectNetwork(network: string, containerId: string, endpointConfig: unknown): Promise<void> {
    const operation = `connect ${containerId.slice(0, 64)} to network ${network.slice(0, 64)}`;
    await this.#request(
      "POST",
      `/networks/${encodeURIComponent(assertEngineName(network, operation))}/connect`,
      operation,
      {
        ok: [200],
        body: { Container: containerId, EndpointConfig: endpointConfig ?? {} },
      },
    );
  }

  /** `DELETE /containers/<id>?force=1` (its volumes stay). */
  async removeContainer(id: string): Promise<void> {
    const operation = `remove container ${id.slice(0, 64)}`;
    await this.#request(
      "DELETE",
      `/containers/${encodeURIComponent(assertEngineName(id, operation))}?force=1`,
      operation,
      {
        ok: [204],
      },
    );
  }

  async #get(path: string, operation: string): Promise<Response> {
    return this.#request("GET", path, operation);
  }

  async #request(
    method: "GET" | "POST" | "DELETE",
    path: string,
    operation: string,
    options: { ok?: number[]; body?: unknown; timeoutMs?: number; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const init: RequestInit & { unix?: string } = {
      method,
      signal: AbortSignal.timeout(options.timeoutMs ?? this.#timeoutMs),
      headers: {
        ...options.headers,
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    };
    let url: string;
    if (this.#host.kind === "unix") {
      init.unix = this.#host.socketPath;
      url = `http://docker${path}`;
    } else {
      url = `${this.#host.baseUrl}${path}`;
    }
    let response: Response;
    try {
      response = await this.#fetch(url, init);
    } catch (error) {
      const message = (error as Error).message;
      const noSocket = /ENOENT|FailedToOpenSocket|No such file/i.test(
        `${message} ${(error as { code?: string }).code ?? ""}`,
      );
      throw new AgentError(
        noSocket
          ? `no Docker engine socket at ${describeHost(this.#host)}`
          : `cannot reach the Docker engine: ${message}`,
        { source: "docker", kind: noSocket ? "missing" : "unavailable", operation, cause: error },
      );
    }
    const ok = options.ok === undefined ? response.ok : options.ok.includes(response.status);
    if (!ok) {
      const detail = (await response.text().catch(() => "")).slice(0, 300);
      throw new AgentError(`the engine answered ${response.status}: ${detail}`, {
        source: "docker",
        kind: response.status >= 500 ? "unavailable" : "failed",
        operation,
        retryable: response.status >= 500,
      });
    }
    return response;
  }
}

/** Credentials for the registry an image is pulled from, as the engine's X-Registry-Auth wants them. */
export type RegistryAuth = { serverAddress: string; credentials: RegistryCredentials };

/** Base64 (URL alphabet, padded, as Go's base64.URLEncoding reads it) of Docker's auth config JSON. */
export function encodeRegistryAuth(auth: RegistryAuth): string {
  const config =
    "identityToken" in auth.credentials
      ? { identitytoken: auth.credentials.identityToken, serveraddress: auth.serverAddress }
      : {
          username: auth.credentials.username,
          password: auth.credentials.password,
          serveraddress: auth.serverAddress,
        };
  return Buffer.from(JSON.stringify(config), "utf8")
    .toString("base64")
    .replaceAll("+", "-")
    .replaceAll("/", "_");
}

/** Ids, names and image references the engine's URL paths take: no `..`, no slashes at the ends. */
function assertEngineName(value: string, operation: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:/@-]*$/.test(value) || value.includes("..") || value.length > 1024) {
    throw new AgentError(`${JSON.stringify(value.slice(0, 100))} is not an engine id or name`, {
      source: "docker",
      kind: "invalid_input",
      operation,
    });
  }
  return value;
}

/** Docker's container name rule. */
function assertContainerName(name: string, operation: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,253}$/.test(name)) {
    throw new AgentError(`${JSON.stringify(name.slice(0, 100))} is not a container name`, {
      source: "docker",
      kind: "invalid_input",
      operation,
    });
  }
  return name;
}

function describeHost(host: DockerHost): string {
  return host.kind === "unix" ? host.socketPath : host.baseUrl;
}

async function readJson(response: Response, operation: string): Promise<unknown> {
  try {
    return await response.json();
  } catch (error) {
    throw new AgentError("the engine's answer is not JSON", {
      source: "docker",
      kind: "unrecognized",
      operation,
      cause: error,
    });
  }
}

function parseBody<T>(body: unknown, schema: z.ZodType<T>, operation: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AgentError(
      `the engine's answer has an unexpected shape (${issue?.path.join(".") ?? "?"}: ${issue?.message ?? ""})`,
      {
        source: "docker",
        kind: "unrecognized",
        operation,
        cause: parsed.error,
      },
    );
  }
  return parsed.data;
}
