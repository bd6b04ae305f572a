import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConfigFile } from "../../../src/config/config.ts";
import { createDockerInstaller, recreateBody } from "../../../src/package-managers/docker/installer.ts";
import { createDockerScanner } from "../../../src/package-managers/docker/scanner.ts";
import { agentConfig, recordProgress, statuses, targetFor } from "../../helpers/agent-config.ts";
import { FakeEngine } from "./fake-engine.ts";
import {
  type OciImage,
  pushWithSkopeo,
  putIndex,
  type RunningRegistry,
  removeDirectory,
  startRegistry,
  writeOciLayout,
} from "./harness.ts";

// A real registry (Debian's docker-registry) with htpasswd auth, images pushed by skopeo, and the
// engine API served on a unix socket from recorded responses (no Docker engine runs here).

const credentials = { username: "deploy", password: "registry s3cret" };
let registry: RunningRegistry;
let work = "";
let engine: FakeEngine;
let config: ConfigFile;
const digests: Record<string, string> = {};

async function push(name: string, tag: string, content: string, architecture = "amd64"): Promise<OciImage> {
  const image = await writeOciLayout(work, { tag, content, architecture });
  await pushWithSkopeo(image, tag, `${registry.host}/${name}:${tag}`, credentials);
  return image;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "redflag-docker-agent-"));
  const hash = await Bun.password.hash(credentials.password, { algorithm: "bcrypt", cost: 4 });
  registry = await startRegistry({ htpasswd: `${credentials.username}:${hash}\n` });
  // shop/web:1.25 is re-pushed (same tag, new build); shop/db:1.25 stays, but 1.26 and a
  // multi-arch 1.27 appear; 1.27-alpine has another shape and is never offered for 1.25.
  digests.webOld = (await push("shop/web", "1.25", "web 1.25 build 1")).manifestDigest;
  digests.webNew = (await push("shop/web", "1.25", "web 1.25 build 2")).manifestDigest;
  digests.db = (await push("shop/db", "1.25", "db 1.25")).manifestDigest;
  await push("shop/db", "1.26", "db 1.26");
  await push("shop/db", "1.27-alpine", "db 1.27 alpine");
  const amd64 = await push("shop/db", "1.27-amd64", "db 1.27 amd64");
  const arm64 = await push("shop/db", "1.27-arm64", "db 1.27 arm64", "arm64");
  const authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
  const indexResponse = await fetch(`${registry.url}/v2/`, { headers: { authorization } });
  expect(indexResponse.status).toBe(200);
  digests.db127 = await putIndexWithAuth(
    "shop/db",
    "1.27",
    [
      { digest: amd64.manifestDigest, size: Buffer.byteLength(amd64.manifest), architecture: "amd64" },
      { digest: arm64.manifestDigest, size: Buffer.byteLength(arm64.manifest), architecture: "arm64" },
    ],
    authorization,
  );

  engine = new FakeEngine(join(work, "docker.sock"), { url: registry.url, authorization });
  engine.start();
  const web = engine.addImage(`${registry.host}/shop/web:1.25`, digests.webOld);
  const db = engine.addImage(`${registry.host}/shop/db:1.25`, digests.db);
  const local = engine.addImage(
    "shop/tools:dev",
    "sha256:0000000000000000000000000000000000000000000000000000000000000000",
  );
  local.RepoDigests = [];
  engine.addContainer("web", `${registry.host}/shop/web:1.25`, web);
  engine.addContainer("db", `${registry.host}/shop/db:1.25`, db);
  engine.addContainer("tools", "shop/tools:dev", local);

  const dockerConfig = join(work, "config.json");
  writeFileSync(
    dockerConfig,
    JSON.stringify({
      auths: {
        [registry.host]: {
          auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64"),
        },
      },
    }),
  );
  config = agentConfig({
    docker: {
      host: `unix://${engine.socketPath}`,
      configFile: dockerConfig,
      insecureRegistries: [registry.host],
      stopTimeoutSeconds: 1,
    },
  });
}, 60_000);

/** putIndex of the harness, with credentials (the registry wants them for every write). */
async function putIndexWithAuth(
  name: string,
  tag: string,
  entries: { digest: string; size: number; architecture: string }[],
  authorization: string,
): Promise<string> {
  const original = globalThis.fetch;
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) =>
    original(input, {
      ...init,
      headers: { ...(init?.headers as Record<string, string>), authorization },
    })) as typeof fetch;
  try {
    return await putIndex(registry.url, name, tag, entries);
  } finally {
    globalThis.fetch = original;
  }
}

afterAll(async () => {
  engine?.stop();
  await registry?.stop();
  if (work !== "") removeDirectory(work);
});

describe("the Docker scanner and installer", () => {
  test("the scan finds the re-pushed tag and the newer version tag, with Basic auth from config.json", async () => {
    const scanner = createDockerScanner(config);
    expect(await scanner.isAvailable()).toBe(true);
    const items = await scanner.scan();
    expect(items).toHaveLength(2);
    const web = items.find((item) => item.packageName === `${registry.host}/shop/web`);
    expect(web).toMatchObject({
      target: "1.25",
      currentVersion: digests.webOld,
      availableVersion: digests.webNew,
      severity: "unknown",
      security: false,
      source: registry.host,
      metadata: { reference: `${registry.host}/shop/web:1.25`, containers: ["web"] },
    });
    expect(items.find((item) => item.packageName === `${registry.host}/shop/db`)).toMatchObject({
      target: "1.25",
      currentVersion: digests.db,
      availableVersion: `1.27@${digests.db127}`,
      metadata: { containers: ["db"], newerTags: ["1.27", "1.26"], availableTag: "1.27" },
    });
  });

  test("the dry run names the containers; the install pulls, recreates with the same configuration, starts and verifies", async () => {
    const items = await createDockerScanner(config).scan();
    const webItem = items.find((item) => item.packageName.endsWith("/shop/web"));
    if (webItem === undefined) throw new Error("no web update");
    const target = targetFor("docker", webItem);
    const installer = createDockerInstaller(config);
    const plan = await installer.dryRun([target]);
    expect(plan.changes).toEqual([
      {
        action: "upgrade",
        packageName: "container web",
        currentVersion: `1.25@${digests.webOld}`,
        newVersion: `1.25@${digests.webNew}`,
      },
    ]);

    const before = structuredClone(engine.containerNamed("web"));
    if (before === undefined) throw new Error("no web container");
    engine.calls.length = 0;
    const { progress, reports } = recordProgress();
    const result = await installer.install([target], progress);
    expect(statuses(result.outcomes)).toEqual([`installed ${digests.webNew}`]);
    const after = engine.containerNamed("web");
    if (after === undefined) throw new Error("web is gone");
    const repository = `${registry.host}/shop/web`;
    expect(
      engine.calls.map(
        (call) => `${call.method} ${call.path.replace(before.Id, "OLD").replace(after.Id, "NEW")}`,
      ),
    ).toEqual([
      "GET /containers/json?all=1",
      `POST /images/create?fromImage=${encodeURIComponent(repository)}&tag=1.25`,
      `GET /images/${encodeURIComponent(`${repository}:1.25`)}/json`,
      "GET /containers/OLD/json",
      "POST /containers/OLD/stop?t=1",
      "POST /containers/OLD/rename?name=web-redflag-previous",
      "POST /containers/create?name=web",
      "POST /networks/shop_backend/connect",
      "POST /containers/NEW/start",
      "GET /containers/NEW/json",
      "DELETE /containers/OLD?force=1",
    ]);
    // Same configuration: env, labels, command, mounts, ports, restart policy, networks.
    const create = engine.calls.find((call) => call.path.startsWith("/containers/create"))?.body as Record<
      string,
      unknown
    >;
    const { Hostname: _hostname, Image: _image, ...oldConfig } = before.Config;
    expect(create).toEqual({
      ...oldConfig,
      Image: `${repository}:1.25`,
      HostConfig: before.HostConfig,
      NetworkingConfig: { EndpointsConfig: { shop_default: { Aliases: ["web"] } } },
    });
    expect(engine.calls.find((call) => call.path === "/networks/shop_backend/connect")?.body).toEqual({
      Container: after.Id,
      EndpointConfig: { IPAMConfig: { IPv4Address: "172.19.0.10" }, Aliases: ["web-backend"] },
    });
    expect(after.State.Running).toBe(true);
    expect(engine.images.get(after.Image)?.RepoDigests).toEqual([`${repository}@${digests.webNew}`]);
    // The previous image is still there for a rollback.
    expect(
      [...engine.images.values()].some((image) =>
        image.RepoDigests.includes(`${repository}@${digests.webOld}`),
      ),
    ).toBe(true);
    expect(reports.at(-1)).toEqual({ percent: 100, message: "1 of 1 images verified" });
    expect(await createDockerScanner(config).scan()).toHaveLength(1);

    // Rollback: the previous image gets its tag back and the container is recreated on it.
    engine.calls.length = 0;
    const rolledBack = await installer.rollback([target], () => {});
    expect(statuses(rolledBack.outcomes)).toEqual([`installed ${digests.webOld}`]);
    const restored = engine.containerNamed("web");
    expect(restored?.State.Running).toBe(true);
    expect(engine.images.get(restored?.Image ?? "")?.RepoDigests).toEqual([
      `${repository}@${digests.webOld}`,
    ]);
    expect(engine.calls.map((call) => `${call.method} ${call.path.split("?")[0]}`).slice(0, 3)).toEqual([
      "GET /containers/json",
      "POST /images/create",
      `POST /images/${encodeURIComponent(`${repository}@${digests.webOld}`)}/tag`,
    ]);
    expect(restored?.Config.Env).toEqual(before.Config.Env);
    expect(restored?.Config.Labels).toEqual(before.Config.Labels);
  }, 60_000);

  test("a new image that does not stay running is replaced by the old container again", async () => {
    const items = await createDockerScanner(config).scan();
    const dbItem = items.find((item) => item.packageName.endsWith("/shop/db"));
    if (dbItem === undefined) throw new Error("no db update");
    const before = engine.containerNamed("db");
    // The 1.27 image crashes at start.
    const crashingId = `sha256:${new Bun.CryptoHasher("sha256").update(`image ${digests.db127}`).digest("hex")}`;
    engine.crashingImages.add(crashingId);
    const result = await createDockerInstaller(config).install([targetFor("docker", dbItem)], () => {});
    expect(result.outcomes[0]?.status).toBe("failed");
    expect(result.outcomes[0]?.message).toContain("db does not stay running");
    expect(result.outcomes[0]?.message).toContain("db was put back on its previous image");
    const after = engine.containerNamed("db");
    expect(after?.Id).toBe(before?.Id ?? "");
    expect(after?.State.Running).toBe(true);
    expect(engine.containerNamed("db-redflag-previous")).toBeUndefined();
  }, 60_000);

  test("garbage from the engine fails the Docker scan with a clear error", async () => {
    engine.garbageContainerList = '[{"Id": "abc", "Names": ';
    try {
      await expect(createDockerScanner(config).scan()).rejects.toThrow(
        "list containers: the engine's answer is not JSON",
      );
    } finally {
      engine.garbageContainerList = null;
    }
  });

  test("image references are checked by the grammar before any engine call", async () => {
    engine.calls.length = 0;
    const installer = createDockerInstaller(config);
    const target = {
      updateId: "upd_00000000000000000000000000",
      packageType: "docker" as const,
      packageName: "Shop/Web",
      target: "1.25",
      currentVersion: digests.webOld ?? null,
      availableVersion: digests.webNew ?? "",
    };
    const result = await installer.install([target], () => {});
    expect(result.outcomes[0]?.message).toContain("is not an image reference");
    expect(engine.calls).toEqual([]);
    expect(() => recreateBody(engine.containerNamed("web") as never, "x")).not.toThrow();
  });
});
