import { z } from "zod";
import { PlatformError } from "../errors.ts";

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

function invalidHost(text: string, reason: string): PlatformError {
  return new PlatformError(`DOCKER_HOST ${JSON.stringify(text)}: ${reason}`, {
    platform: "docker",
    kind: "invalid-input",
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
  })
  .passthrough();
export type ImageInspect = z.infer<typeof imageInspectSchema>;

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
      throw new PlatformError(`unexpected answer ${JSON.stringify(text.slice(0, 100))}`, {
        platform: "docker",
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
      throw new PlatformError("not an image id or name", {
        platform: "docker",
        kind: "invalid-input",
        operation,
      });
    }
    const response = await this.#get(`/images/${encodeURIComponent(idOrName)}/json`, operation);
    return parseBody(await readJson(response, operation), imageInspectSchema, operation);
  }

  async #get(path: string, operation: string): Promise<Response> {
    const init: RequestInit & { unix?: string } = {
      method: "GET",
      signal: AbortSignal.timeout(this.#timeoutMs),
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
      throw new PlatformError(
        noSocket
          ? `no Docker engine socket at ${describeHost(this.#host)}`
          : `cannot reach the Docker engine: ${message}`,
        { platform: "docker", kind: noSocket ? "missing" : "unavailable", operation, cause: error },
      );
    }
    if (!response.ok) {
      const detail = (await response.text().catch(() => "")).slice(0, 300);
      throw new PlatformError(`the engine answered ${response.status}: ${detail}`, {
        platform: "docker",
        kind: response.status >= 500 ? "unavailable" : "failed",
        operation,
        retryable: response.status >= 500,
      });
    }
    return response;
  }
}

function describeHost(host: DockerHost): string {
  return host.kind === "unix" ? host.socketPath : host.baseUrl;
}

async function readJson(response: Response, operation: string): Promise<unknown> {
  try {
    return await response.json();
  } catch (error) {
    throw new PlatformError("the engine's answer is not JSON", {
      platform: "docker",
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
    throw new PlatformError(
      `the engine's answer has an unexpected shape (${issue?.path.join(".") ?? "?"}: ${issue?.message ?? ""})`,
      {
        platform: "docker",
        kind: "unrecognized",
        operation,
        cause: parsed.error,
      },
    );
  }
  return parsed.data;
}
