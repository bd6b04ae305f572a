import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentError } from "../../../src/errors.ts";
import {
  compareWithRegistry,
  dockerImageScanItem,
  EngineClient,
  parseDockerHost,
  parseImageReference,
  RegistryClient,
} from "../../../src/package-managers/docker/index.ts";
import { caughtAsync, readFixture } from "../fixtures.ts";
import {
  pushWithSkopeo,
  type RunningRegistry,
  removeDirectory,
  startRegistry,
  writeOciLayout,
} from "./harness.ts";

// No Docker engine runs here: the engine API is served on a unix socket from recorded responses,
// with the image names pointing at a real registry the test pushes to.

let registry: RunningRegistry;
let work = "";
let engine: ReturnType<typeof Bun.serve> | null = null;
let socketPath = "";
const digests: Record<string, string> = {};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "redflag-engine-"));
  registry = await startRegistry();
  const app = await writeOciLayout(work, { tag: "1.0", content: "app v1" });
  const cache = await writeOciLayout(work, { tag: "2", content: "cache v2" });
  await pushWithSkopeo(app, "1.0", `${registry.host}/redflag/app:1.0`);
  await pushWithSkopeo(cache, "2", `${registry.host}/redflag/cache:2`);
  // The app's tag moves on; the cache's does not.
  const appNext = await writeOciLayout(work, { tag: "1.0", content: "app v1, rebuilt" });
  await pushWithSkopeo(appNext, "1.0", `${registry.host}/redflag/app:1.0`);
  Object.assign(digests, {
    app: app.manifestDigest,
    appNext: appNext.manifestDigest,
    appConfig: app.configDigest,
    cache: cache.manifestDigest,
    cacheConfig: cache.configDigest,
  });

  const containers = readFixture("docker", "containers-json.json")
    .replaceAll("REGISTRY_HOST", registry.host)
    .replaceAll("IMAGE_ID_APP", app.configDigest.slice(7))
    .replaceAll("IMAGE_ID_CACHE", cache.configDigest.slice(7))
    .replaceAll("IMAGE_ID_LOCAL", "c".repeat(64));
  const template = readFixture("docker", "image-inspect-template.json");
  const inspect = (id: string, tag: string, repoDigest: string | null) =>
    JSON.parse(
      template
        .replace("sha256:IMAGE_ID", id)
        .replace("REPO_TAG", tag)
        .replace('["REPO_DIGEST"]', repoDigest === null ? "[]" : JSON.stringify([repoDigest])),
    );
  const images = new Map<string, unknown>([
    [
      app.configDigest,
      inspect(
        app.configDigest,
        `${registry.host}/redflag/app:1.0`,
        `${registry.host}/redflag/app@${app.manifestDigest}`,
      ),
    ],
    [
      cache.configDigest,
      inspect(
        cache.configDigest,
        `${registry.host}/redflag/cache:2`,
        `${registry.host}/redflag/cache@${cache.manifestDigest}`,
      ),
    ],
    [`sha256:${"c".repeat(64)}`, inspect(`sha256:${"c".repeat(64)}`, "local/tool:dev", null)],
  ]);
  socketPath = join(work, "docker.sock");
  engine = Bun.serve({
    unix: socketPath,
    fetch(request) {
      const url = new URL(request.url);
      if (url.pathname === "/_ping") return new Response("OK", { headers: { "api-version": "1.45" } });
      if (url.pathname === "/containers/json")
        return new Response(containers, { headers: { "content-type": "application/json" } });
      const image = /^\/images\/(.+)\/json$/.exec(url.pathname);
      if (image?.[1] !== undefined) {
        const found = images.get(decodeURIComponent(image[1]));
        if (found !== undefined) return Response.json(found);
        return Response.json({ message: `No such image: ${decodeURIComponent(image[1])}` }, { status: 404 });
      }
      if (url.pathname === "/broken/json") return new Response("{not json");
      return Response.json({ message: "page not found" }, { status: 404 });
    },
  });
});

afterAll(async () => {
  engine?.stop(true);
  await registry?.stop();
  if (work !== "") removeDirectory(work);
});

describe("Docker engine over a unix socket", () => {
  test("ping, containers, image RepoDigests; compared with the registry by digest, never image id", async () => {
    const client = new EngineClient({ host: parseDockerHost(`unix://${socketPath}`) });
    expect(await client.ping()).toBe(true);
    const containers = await client.listContainers();
    expect(containers.map((container) => container.Names[0])).toEqual([
      "/web",
      "/worker",
      "/cache",
      "/local-build",
    ]);

    const registryClient = new RegistryClient({ insecureRegistries: [registry.host] });
    const results: Record<string, string> = {};
    const items = [];
    const byImage = new Map<string, typeof containers>();
    for (const container of containers)
      byImage.set(container.ImageID, [...(byImage.get(container.ImageID) ?? []), container]);
    for (const [imageId, users] of byImage) {
      const image = await client.inspectImage(imageId);
      const reference = parseImageReference(users[0]?.Image ?? "");
      if (reference.domain !== registry.host) {
        results[users[0]?.Image ?? ""] = compareWithRegistry(
          reference,
          image.RepoDigests ?? [],
          "sha256:0",
        ).status;
        continue;
      }
      const head = await registryClient.headManifest(reference);
      const status = compareWithRegistry(reference, image.RepoDigests ?? [], head.digest);
      results[users[0]?.Image ?? ""] = status.status;
      expect(head.digest).not.toBe(image.Id);
      if (status.status === "update-available") {
        items.push(
          dockerImageScanItem({
            reference,
            localDigest: status.localDigest,
            registryDigest: status.registryDigest,
            containers: users.map((container) => (container.Names[0] ?? "").replace(/^\//, "")),
            sizeBytes: head.sizeBytes,
          }),
        );
      }
    }
    expect(results).toEqual({
      [`${registry.host}/redflag/app:1.0`]: "update-available",
      [`${registry.host}/redflag/cache:2`]: "up-to-date",
      "local/tool:dev": "unknown",
    });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      packageName: `${registry.host}/redflag/app`,
      target: "1.0",
      currentVersion: digests.app,
      availableVersion: digests.appNext,
      severity: "unknown",
      security: false,
      source: registry.host,
      metadata: { reference: `${registry.host}/redflag/app:1.0`, containers: ["web", "worker"] },
    });
  });

  test("a missing socket, an unknown image and odd answers are typed errors", async () => {
    const absent = new EngineClient({ host: parseDockerHost(`unix://${join(work, "absent.sock")}`) });
    const missing = (await caughtAsync(() => absent.ping())) as AgentError;
    expect(missing).toBeInstanceOf(AgentError);
    expect(missing.kind).toBe("missing");
    expect(missing.retryable).toBe(false);

    const client = new EngineClient({ host: parseDockerHost(`unix://${socketPath}`) });
    const unknown = (await caughtAsync(() => client.inspectImage(`sha256:${"d".repeat(64)}`))) as AgentError;
    expect(unknown.message).toContain("No such image");
    expect(((await caughtAsync(() => client.inspectImage("../../etc"))) as AgentError).kind).toBe(
      "invalid_input",
    );

    const odd = new EngineClient({
      host: parseDockerHost(`unix://${socketPath}`),
      fetch: async () => Response.json([{ Id: 1 }]),
    });
    expect(((await caughtAsync(() => odd.listContainers())) as AgentError).kind).toBe("unrecognized");
  });
});
