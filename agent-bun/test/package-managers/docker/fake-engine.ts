import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { manifestAccept } from "../../../src/package-managers/docker/index.ts";

/**
 * The Docker Engine API on a unix socket, answering from recorded responses (a real `docker
 * inspect` of a compose service, real `/containers/json` and pull-progress shapes) with just enough
 * state to follow a container being replaced. Pulls ask the real registry for the tag's digest, as
 * the engine would. Every call is recorded, in order, with its body.
 */
export type EngineCall = { method: string; path: string; body?: unknown };

type Image = { Id: string; RepoTags: string[]; RepoDigests: string[] };
type Container = Record<string, unknown> & {
  Id: string;
  Name: string;
  Image: string;
  State: { Running: boolean; Restarting: boolean; ExitCode: number; Status: string };
  Config: Record<string, unknown> & { Image: string; Labels: Record<string, string> };
};

const recorded = readFileSync(join(import.meta.dir, "fixtures", "container-inspect.json"), "utf8");

function hex(seed: string): string {
  return createHash("sha256").update(seed).digest("hex");
}

export class FakeEngine {
  readonly calls: EngineCall[] = [];
  readonly images = new Map<string, Image>();
  readonly containers = new Map<string, Container>();
  /** Images whose containers exit right after they start (exit code 1). */
  readonly crashingImages = new Set<string>();
  /** Answer /containers/json with this text instead (bad engine output). */
  garbageContainerList: string | null = null;
  private server: ReturnType<typeof Bun.serve> | null = null;
  private sequence = 0;

  constructor(
    readonly socketPath: string,
    private readonly registry: { url: string; authorization?: string },
  ) {}

  start() {
    this.server = Bun.serve({ unix: this.socketPath, fetch: (request) => this.handle(request) });
  }

  stop() {
    this.server?.stop(true);
  }

  addImage(reference: string, digest: string): Image {
    const image = {
      Id: `sha256:${hex(`image ${digest}`)}`,
      RepoTags: [reference],
      RepoDigests: [`${reference.slice(0, reference.lastIndexOf(":"))}@${digest}`],
    };
    this.images.set(image.Id, image);
    return image;
  }

  /** A running container made from the recorded inspect output. */
  addContainer(name: string, reference: string, image: Image): Container {
    const id = hex(`container ${name} ${this.sequence++}`);
    const text = recorded
      .replaceAll("CONTAINER_SHORT_ID", id.slice(0, 12))
      .replaceAll("CONTAINER_ID", id)
      .replaceAll("CONTAINER_NAME", name)
      .replaceAll("IMAGE_REFERENCE", reference)
      .replaceAll("IMAGE_ID", image.Id);
    const container = JSON.parse(text) as Container;
    this.containers.set(id, container);
    return container;
  }

  containerNamed(name: string): Container | undefined {
    return [...this.containers.values()].find((container) => container.Name === `/${name}`);
  }

  private findImage(name: string): Image | undefined {
    const decoded = decodeURIComponent(name);
    return (
      this.images.get(decoded) ??
      [...this.images.values()].find(
        (image) => image.RepoTags.includes(decoded) || image.RepoDigests.includes(decoded),
      )
    );
  }

  private findContainer(idOrName: string): Container | undefined {
    return this.containers.get(idOrName) ?? this.containerNamed(idOrName);
  }

  private summary(container: Container) {
    return {
      Id: container.Id,
      Names: [container.Name],
      Image: container.Config.Image,
      ImageID: container.Image,
      Command: "/docker-entrypoint.sh nginx -g 'daemon off;'",
      Created: 1767604364,
      Ports: [{ IP: "0.0.0.0", PrivatePort: 80, PublicPort: 8080, Type: "tcp" }],
      Labels: container.Config.Labels,
      State: container.State.Status,
      Status: container.State.Running ? "Up 3 days" : "Exited (0) 2 minutes ago",
      HostConfig: { NetworkMode: "shop_default" },
      NetworkSettings: { Networks: {} },
      Mounts: [],
    };
  }

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/v1\.\d+/, "");
    const body =
      request.method === "POST" && request.headers.get("content-type") === "application/json"
        ? await request.json()
        : undefined;
    this.calls.push({
      method: request.method,
      path: `${path}${url.search}`,
      ...(body === undefined ? {} : { body }),
    });
    const json = (value: unknown, status = 200) => Response.json(value, { status });
    const notFound = (what: string) => json({ message: `No such ${what}` }, 404);
    let match: RegExpExecArray | null;
    if (path === "/_ping") return new Response("OK", { headers: { "api-version": "1.43" } });
    if (path === "/containers/json") {
      if (this.garbageContainerList !== null)
        return new Response(this.garbageContainerList, { headers: { "content-type": "application/json" } });
      const all = url.searchParams.get("all") === "1";
      return json(
        [...this.containers.values()]
          .filter((container) => all || container.State.Running)
          .map((container) => this.summary(container)),
      );
    }
    match = /^\/containers\/([^/]+)\/json$/.exec(path);
    if (match) {
      const container = this.findContainer(match[1] ?? "");
      return container ? json(container) : notFound("container");
    }
    match = /^\/images\/(.+)\/json$/.exec(path);
    if (match) {
      const image = this.findImage(match[1] ?? "");
      return image
        ? json({
            ...JSON.parse(
              readFileSync(join(import.meta.dir, "fixtures/image-inspect-template.json"), "utf8"),
            ),
            ...image,
          })
        : notFound("image");
    }
    if (request.method === "POST" && path === "/images/create") {
      const repository = url.searchParams.get("fromImage") ?? "";
      const tag = url.searchParams.get("tag") ?? "latest";
      const slash = repository.indexOf("/");
      const name = repository.slice(slash + 1);
      const response = await fetch(`${this.registry.url}/v2/${name}/manifests/${tag}`, {
        method: "HEAD",
        headers: {
          accept: manifestAccept,
          ...(this.registry.authorization ? { authorization: this.registry.authorization } : {}),
        },
      });
      const digest = response.headers.get("docker-content-digest");
      if (!response.ok || digest === null) {
        return new Response(
          `${JSON.stringify({ errorDetail: { message: `manifest for ${repository}:${tag} not found` }, error: `manifest for ${repository}:${tag} not found` })}\n`,
        );
      }
      let image = this.findImage(`${repository}@${digest}`);
      if (image === undefined) {
        image = {
          Id: `sha256:${hex(`image ${digest}`)}`,
          RepoTags: [],
          RepoDigests: [`${repository}@${digest}`],
        };
        this.images.set(image.Id, image);
      }
      const reference = `${repository}:${tag}`;
      if (!tag.startsWith("sha256:")) {
        for (const other of this.images.values())
          other.RepoTags = other.RepoTags.filter((entry) => entry !== reference);
        image.RepoTags.push(reference);
      }
      const lines = [
        { status: `Pulling from ${name}`, id: tag },
        { status: "Pulling fs layer", progressDetail: {}, id: "4f4fb700ef54" },
        {
          status: "Downloading",
          progressDetail: { current: 32, total: 32 },
          progress: "[==================================================>]      32B/32B",
          id: "4f4fb700ef54",
        },
        { status: "Pull complete", progressDetail: {}, id: "4f4fb700ef54" },
        { status: `Digest: ${digest}` },
        { status: `Status: Downloaded newer image for ${reference}` },
      ];
      return new Response(`${lines.map((line) => JSON.stringify(line)).join("\r\n")}\r\n`, {
        headers: { "content-type": "application/json" },
      });
    }
    match = request.method === "POST" ? /^\/images\/(.+)\/tag$/.exec(path) : null;
    if (match) {
      const image = this.findImage(match[1] ?? "");
      if (!image) return notFound("image");
      const reference = `${url.searchParams.get("repo")}:${url.searchParams.get("tag")}`;
      for (const other of this.images.values())
        other.RepoTags = other.RepoTags.filter((entry) => entry !== reference);
      image.RepoTags.push(reference);
      return new Response(null, { status: 201 });
    }
    match = request.method === "POST" ? /^\/containers\/([^/]+)\/(stop|start|rename)$/.exec(path) : null;
    if (match) {
      const container = this.findContainer(match[1] ?? "");
      if (!container) return notFound("container");
      if (match[2] === "rename") {
        container.Name = `/${url.searchParams.get("name")}`;
        return new Response(null, { status: 204 });
      }
      const running = match[2] === "start";
      if (container.State.Running === running) return new Response(null, { status: 304 });
      const crashes = running && this.crashingImages.has(container.Image);
      container.State = {
        ...container.State,
        Running: running && !crashes,
        Status: running && !crashes ? "running" : "exited",
        ExitCode: crashes ? 1 : 0,
      };
      return new Response(null, { status: 204 });
    }
    if (request.method === "POST" && path === "/containers/create") {
      const name = url.searchParams.get("name") ?? "";
      if (this.containerNamed(name))
        return json({ message: `Conflict. The container name "/${name}" is already in use` }, 409);
      const config = body as Record<string, unknown> & {
        Image: string;
        HostConfig: unknown;
        NetworkingConfig?: { EndpointsConfig?: Record<string, unknown> };
      };
      const image = this.findImage(config.Image);
      if (!image) return notFound(`image: ${config.Image}`);
      const id = hex(`container ${name} ${this.sequence++}`);
      const { HostConfig, NetworkingConfig, ...rest } = config;
      const container = {
        Id: id,
        Name: `/${name}`,
        Image: image.Id,
        State: { Status: "created", Running: false, Restarting: false, ExitCode: 0 },
        Config: { Hostname: id.slice(0, 12), ...rest } as unknown as Container["Config"],
        HostConfig,
        NetworkSettings: { Networks: { ...(NetworkingConfig?.EndpointsConfig ?? {}) } },
      } as Container;
      this.containers.set(id, container);
      return json({ Id: id, Warnings: [] }, 201);
    }
    match = request.method === "POST" ? /^\/networks\/([^/]+)\/connect$/.exec(path) : null;
    if (match) {
      const connect = body as { Container: string; EndpointConfig: unknown };
      const container = this.findContainer(connect.Container);
      if (!container) return notFound("container");
      (container.NetworkSettings as { Networks: Record<string, unknown> }).Networks[match[1] ?? ""] =
        connect.EndpointConfig;
      return new Response(null, { status: 200 });
    }
    match = request.method === "DELETE" ? /^\/containers\/([^/]+)$/.exec(path) : null;
    if (match) {
      const container = this.findContainer(match[1] ?? "");
      if (!container) return notFound("container");
      this.containers.delete(container.Id);
      return new Response(null, { status: 204 });
    }
    return json({ message: `page not found: ${request.method} ${path}` }, 404);
  }
}
