import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentError } from "../../../src/errors.ts";
import {
  compareWithRegistry,
  manifestAccept,
  newerTagsOfSameShape,
  parseDockerConfig,
  parseImageReference,
  RegistryClient,
} from "../../../src/package-managers/docker/index.ts";
import { caughtAsync } from "../fixtures.ts";
import { pushWithSkopeo, putIndex, removeDirectory, writeOciLayout } from "./oci-images.ts";
import { freePort, type RunningRegistry, startRegistry } from "./real-engine.ts";

// A real docker-registry 2.8 (Debian package docker-registry) and images pushed with skopeo.

let registry: RunningRegistry;
let basicRegistry: RunningRegistry;
let work = "";
const servers: { stop: (force?: boolean) => unknown }[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "redflag-images-"));
  const hash = await Bun.password.hash("s3cret", { algorithm: "bcrypt", cost: 4 });
  [registry, basicRegistry] = await Promise.all([
    startRegistry(),
    startRegistry({ htpasswd: `alice:${hash}\n` }),
  ]);
});

afterAll(async () => {
  for (const server of servers) server.stop(true);
  await Promise.allSettled([registry?.stop(), basicRegistry?.stop()]);
  if (work !== "") removeDirectory(work);
});

/** A clock the test moves by hand, so cache expiry needs no waiting. */
function manualClock() {
  let now = Date.parse("2026-01-01T00:00:00Z");
  return { now: () => now, advance: (milliseconds: number) => (now += milliseconds) };
}

describe("registry client against a real registry", () => {
  test("digest by tag; a re-push changes it; the cache holds it for five minutes; RepoDigests decide", async () => {
    const first = await writeOciLayout(work, { tag: "1.0", content: "build 1" });
    await pushWithSkopeo(first, "1.0", `${registry.host}/redflag/app:1.0`);
    const clock = manualClock();
    const client = new RegistryClient({ insecureRegistries: [registry.host], now: clock.now });
    const reference = parseImageReference(`${registry.host}/redflag/app:1.0`);

    const head = await client.headManifest(reference);
    expect(head.digest).toBe(first.manifestDigest);
    expect(head.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    expect(head.sizeBytes).toBe(Buffer.byteLength(first.manifest));
    const localRepoDigests = [`${registry.host}/redflag/app@${first.manifestDigest}`];
    expect(compareWithRegistry(reference, localRepoDigests, head.digest).status).toBe("up-to-date");
    // The image id (config digest) is never what the registry reports for a tag.
    expect(head.digest).not.toBe(first.configDigest);

    const second = await writeOciLayout(work, { tag: "1.0", content: "build 2" });
    await pushWithSkopeo(second, "1.0", `${registry.host}/redflag/app:1.0`);
    const requestsBefore = client.requestCount;
    expect((await client.headManifest(reference)).digest).toBe(first.manifestDigest);
    expect(client.requestCount).toBe(requestsBefore);

    clock.advance(5 * 60 * 1000 + 1);
    const fresh = await client.headManifest(reference);
    expect(fresh.digest).toBe(second.manifestDigest);
    expect(compareWithRegistry(reference, localRepoDigests, fresh.digest)).toEqual({
      status: "update-available",
      localDigest: first.manifestDigest,
      registryDigest: second.manifestDigest,
    });
  });

  test("a multi-arch index: HEAD returns the index digest", async () => {
    const amd64 = await writeOciLayout(work, { tag: "amd64", content: "amd64", architecture: "amd64" });
    const arm64 = await writeOciLayout(work, { tag: "arm64", content: "arm64", architecture: "arm64" });
    await pushWithSkopeo(amd64, "amd64", `${registry.host}/redflag/multi:amd64`);
    await pushWithSkopeo(arm64, "arm64", `${registry.host}/redflag/multi:arm64`);
    const indexDigest = await putIndex(registry.url, "redflag/multi", "2.0", [
      { digest: amd64.manifestDigest, size: Buffer.byteLength(amd64.manifest), architecture: "amd64" },
      { digest: arm64.manifestDigest, size: Buffer.byteLength(arm64.manifest), architecture: "arm64" },
    ]);
    const client = new RegistryClient({ insecureRegistries: [registry.host] });
    const head = await client.headManifest(parseImageReference(`${registry.host}/redflag/multi:2.0`));
    expect(head).toMatchObject({ digest: indexDigest, mediaType: "application/vnd.oci.image.index.v1+json" });
    // Without the Accept list registry 2.8 refuses to serve an index: the list is what makes this work.
    const bare = await fetch(`${registry.url}/v2/redflag/multi/manifests/2.0`, { method: "HEAD" });
    expect(bare.headers.get("docker-content-digest")).not.toBe(indexDigest);
    expect(manifestAccept).toContain("application/vnd.oci.image.index.v1+json");
  });

  test("tags over several Link pages, and the newer ones of the same shape", async () => {
    const image = await writeOciLayout(work, { tag: "t", content: "tags" });
    const tags = ["1.25", "1.26", "1.27", "1.25.3-alpine", "1.25.4-alpine", "latest"];
    for (const tag of tags) await pushWithSkopeo(image, "t", `${registry.host}/redflag/tagged:${tag}`);
    // Registry 2.8 sends the whole list at once; this gateway pages the real list as registry 3
    // and Docker Hub do (`?n=&last=` with a Link header).
    const pages: string[] = [];
    const gateway = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        const url = new URL(request.url);
        pages.push(url.search);
        const upstream = (await (await fetch(`${registry.url}${url.pathname}`)).json()) as {
          name: string;
          tags: string[];
        };
        const sorted = [...upstream.tags].sort();
        const size = Number(url.searchParams.get("n") ?? "100");
        const last = url.searchParams.get("last");
        const start = last === null ? 0 : sorted.indexOf(last) + 1;
        const page = sorted.slice(start, start + size);
        const headers: Record<string, string> = {};
        if (start + size < sorted.length) {
          headers.link = `<${url.pathname}?last=${encodeURIComponent(page.at(-1) ?? "")}&n=${size}>; rel="next"`;
        }
        return Response.json({ name: upstream.name, tags: page }, { headers });
      },
    });
    servers.push(gateway);
    const host = `127.0.0.1:${gateway.port}`;
    const client = new RegistryClient({ insecureRegistries: [host], tagsPageSize: 2 });
    const listed = await client.listTags(parseImageReference(`${host}/redflag/tagged:1.25`));
    expect([...listed].sort()).toEqual([...tags].sort());
    expect(pages).toEqual(["?n=2", "?last=1.25.3-alpine&n=2", "?last=1.26&n=2"]);
    expect(newerTagsOfSameShape("1.25", listed)).toEqual(["1.27", "1.26"]);
    expect(newerTagsOfSameShape("1.25.3-alpine", listed)).toEqual(["1.25.4-alpine"]);
    // And straight from the real registry, in one page.
    const direct = new RegistryClient({ insecureRegistries: [registry.host] });
    expect(
      (await direct.listTags(parseImageReference(`${registry.host}/redflag/tagged:1.25`))).sort(),
    ).toEqual([...tags].sort());
  });

  test("an unknown tag is a non-retryable error; an unreachable registry a retryable one", async () => {
    const client = new RegistryClient({ insecureRegistries: [registry.host, `127.0.0.1:${freePort()}`] });
    const missing = (await caughtAsync(() =>
      client.headManifest(parseImageReference(`${registry.host}/redflag/app:no-such-tag`)),
    )) as AgentError;
    expect(missing).toBeInstanceOf(AgentError);
    expect(missing.retryable).toBe(false);
    expect(missing.message).toContain("404");
    const closedPort = freePort();
    const offline = new RegistryClient({ insecureRegistries: [`127.0.0.1:${closedPort}`] });
    const unreachable = (await caughtAsync(() =>
      offline.headManifest(parseImageReference(`127.0.0.1:${closedPort}/redflag/app:1.0`)),
    )) as AgentError;
    expect(unreachable.kind).toBe("unavailable");
    expect(unreachable.retryable).toBe(true);
  });
});

describe("registry authentication", () => {
  test("htpasswd registry: Basic credentials from config.json auths; none or wrong ones are refused", async () => {
    const image = await writeOciLayout(work, { tag: "1", content: "private" });
    await pushWithSkopeo(image, "1", `${basicRegistry.host}/team/private:1`, {
      username: "alice",
      password: "s3cret",
    });
    const reference = parseImageReference(`${basicRegistry.host}/team/private:1`);

    const anonymous = new RegistryClient({ insecureRegistries: [basicRegistry.host] });
    const refused = (await caughtAsync(() => anonymous.headManifest(reference))) as AgentError;
    expect(refused.kind).toBe("unauthorized");
    expect(refused.retryable).toBe(false);

    const config = parseDockerConfig(
      JSON.stringify({
        auths: { [basicRegistry.host]: { auth: Buffer.from("alice:s3cret").toString("base64") } },
      }),
    );
    const client = new RegistryClient({
      insecureRegistries: [basicRegistry.host],
      credentials: config.byRegistry,
    });
    expect((await client.headManifest(reference)).digest).toBe(image.manifestDigest);
    expect(await client.listTags(reference)).toEqual(["1"]);

    const wrong = new RegistryClient({
      insecureRegistries: [basicRegistry.host],
      credentials: new Map([[basicRegistry.host, { username: "alice", password: "wrong" }]]),
    });
    expect(((await caughtAsync(() => wrong.headManifest(reference))) as AgentError).kind).toBe(
      "unauthorized",
    );
  });

  test("Bearer challenge: anonymous token from the realm, reused while valid, in front of the real registry", async () => {
    const image = await writeOciLayout(work, { tag: "5", content: "bearer" });
    await pushWithSkopeo(image, "5", `${registry.host}/library/bearer:5`);
    const issued = new Set<string>();
    const tokenRequests: URLSearchParams[] = [];
    let realm = "";
    const gateway = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        const url = new URL(request.url);
        if (url.pathname === "/token") {
          tokenRequests.push(url.searchParams);
          const token = `token-${issued.size + 1}`;
          issued.add(token);
          return Response.json({ token, expires_in: 300, issued_at: new Date().toISOString() });
        }
        const authorization = request.headers.get("authorization") ?? "";
        if (!issued.has(authorization.replace(/^Bearer /, ""))) {
          const scope = `repository:${url.pathname.split("/").slice(2, -2).join("/")}:pull`;
          return Response.json(
            { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] },
            {
              status: 401,
              headers: {
                "www-authenticate": `Bearer realm="${realm}",service="redflag-test-registry",scope="${scope}"`,
              },
            },
          );
        }
        // Forward to the real registry, as Docker Hub's front does.
        const upstream = await fetch(`${registry.url}${url.pathname}${url.search}`, {
          method: request.method,
          headers: { accept: request.headers.get("accept") ?? "" },
        });
        return new Response(request.method === "HEAD" ? null : await upstream.arrayBuffer(), {
          status: upstream.status,
          headers: upstream.headers,
        });
      },
    });
    servers.push(gateway);
    realm = `http://127.0.0.1:${gateway.port}/token`;
    const host = `127.0.0.1:${gateway.port}`;
    const client = new RegistryClient({ insecureRegistries: [host], cacheTtlMs: 0 });
    const reference = parseImageReference(`${host}/library/bearer:5`);
    expect((await client.headManifest(reference)).digest).toBe(image.manifestDigest);
    expect((await client.headManifest(reference)).digest).toBe(image.manifestDigest);
    expect(await client.listTags(reference)).toEqual(["5"]);
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]?.get("service")).toBe("redflag-test-registry");
    expect(tokenRequests[0]?.get("scope")).toBe("repository:library/bearer:pull");
  });

  test("429: waits as Retry-After says, then succeeds; a long Retry-After becomes a retryable error", async () => {
    const image = await writeOciLayout(work, { tag: "1", content: "busy" });
    await pushWithSkopeo(image, "1", `${registry.host}/redflag/busy:1`);
    let refusals = 2;
    const gateway = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        const url = new URL(request.url);
        if (url.pathname.includes("/slow/")) {
          return new Response("", { status: 429, headers: { "retry-after": "3600" } });
        }
        if (refusals > 0) {
          refusals--;
          return new Response("", { status: 429, headers: { "retry-after": "2" } });
        }
        const upstream = await fetch(`${registry.url}${url.pathname}`, {
          method: request.method,
          headers: { accept: request.headers.get("accept") ?? "" },
        });
        return new Response(null, { status: upstream.status, headers: upstream.headers });
      },
    });
    servers.push(gateway);
    const host = `127.0.0.1:${gateway.port}`;
    const waits: number[] = [];
    const client = new RegistryClient({
      insecureRegistries: [host],
      sleep: async (milliseconds) => {
        waits.push(milliseconds);
      },
    });
    expect((await client.headManifest(parseImageReference(`${host}/redflag/busy:1`))).digest).toBe(
      image.manifestDigest,
    );
    expect(waits).toEqual([2000, 2000]);
    const slow = (await caughtAsync(() =>
      client.headManifest(parseImageReference(`${host}/redflag/slow:1`)),
    )) as AgentError;
    expect(slow).toMatchObject({ kind: "unavailable", retryable: true, retryAfterMs: 3_600_000 });
  });
});
