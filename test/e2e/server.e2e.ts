import { afterAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join, resolve } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { testEnvironment } from "../harness/environment.ts";
import { aptItem, hostFacts, scanReport } from "../harness/fixtures.ts";
import { apiClient, rawCall } from "../harness/server.ts";
import { type NextServer, serverDatabaseEnvironment, startNextServer } from "./next-server.ts";

/** The production Next.js server, on the embedded database or on REDFLAG_TEST_POSTGRES_URL. */
const postgresUrl = testEnvironment.postgresUrl;
const cleanups: (() => Promise<void> | void)[] = [];
let running: NextServer | null = null;

afterAll(async () => {
  await running?.stop();
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 30_000);

function databaseEnvironment(): Promise<Record<string, string>> {
  return serverDatabaseEnvironment(postgresUrl, cleanups, "redflag-e2e-");
}

describe(`the production server (${postgresUrl ? "Postgres" : "embedded PGlite"})`, () => {
  test("serves the whole agent protocol, and its data survives a restart", async () => {
    const environment = {
      ...(await databaseEnvironment()),
      REDFLAG_ADMIN_USER: "admin",
      REDFLAG_ADMIN_PASSWORD: "e2e admin password",
    };
    running = await startNextServer(environment);
    const login = await rawCall(running.url, "auth.login", {
      type: "mutation",
      input: { username: "admin", password: "e2e admin password" },
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get("set-cookie")?.split(";")[0] ?? "";
    const admin = apiClient(running.url, { cookie });
    const health = await admin.health.get.query();
    expect(health.database).toMatchObject({ driver: postgresUrl ? "postgres" : "pglite", reachable: true });
    expect(health.migrations?.applied).toBe(health.migrations?.available);

    const registration = await admin.registrationTokens.create.mutate({ label: "e2e", seats: 1 });
    const registered = await apiClient(running.url).agent.register.mutate({
      registrationToken: registration.token,
      host: hostFacts({ hostname: "e2e-host" }),
    });
    const agent = apiClient(running.url, { token: registered.accessToken });
    await agent.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: false });
    await agent.agent.reportScan.mutate(scanReport([aptItem("openssl", { security: true })]));
    const [update] = (await admin.updates.list.query({ agentId: registered.agentId })).items;
    if (!update) throw new Error("update missing");
    const { commandIds } = await admin.updates.install.mutate({ updateIds: [update.id] });
    const leased = await agent.agent.checkIn.mutate({
      agentVersion: "0.1.0",
      metrics: {},
      rebootRequired: false,
    });
    expect(leased.commands.map((command) => command.id)).toEqual(commandIds);
    await agent.agent.reportResult.mutate({
      commandId: commandIds[0] as string,
      status: "succeeded",
      exitCode: 0,
      output: "done",
      startedAt: new Date(),
      finishedAt: new Date(),
      items: [
        { updateId: update.id, status: "installed", installedVersion: update.availableVersion, message: "" },
      ],
    });

    const tooLarge = await fetch(`${running.url}/api/trpc/agent.reportScan`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${registered.accessToken}` },
      body: "x".repeat(6 * 1024 * 1024),
    });
    expect(tooLarge.status).toBe(413);

    await running.stop();
    running = await startNextServer(environment);
    const afterRestart = apiClient(running.url, { cookie });
    const [installed] = (await afterRestart.updates.list.query({ agentId: registered.agentId })).items;
    expect(installed?.status).toBe("installed");
    // The access token signed before the restart still works: the secret was kept.
    const again = apiClient(running.url, { token: registered.accessToken });
    expect(
      (await again.agent.checkIn.mutate({ agentVersion: "0.1.0", metrics: {}, rebootRequired: false }))
        .commands,
    ).toEqual([]);
    expect((await fetch(`${running.url}/api/health`)).status).toBe(200);
  }, 180_000);
});

/** A binary to download: the built one, or a stand-in while the agents are not built (removed after). */
function agentBinary(): { path: string; sha256: string } {
  const directory = resolve(import.meta.dir, "../../dist/agents");
  const path = join(directory, "redflag-agent-linux-x64");
  if (!existsSync(path)) {
    mkdirSync(directory, { recursive: true });
    // Compressible, like a real binary: repeated text with random bytes between.
    const parts: Buffer[] = [];
    for (let index = 0; index < 2000; index++) {
      parts.push(Buffer.from(`redflag agent section ${index % 50} `.repeat(20)), randomBytes(64));
    }
    writeFileSync(path, Buffer.concat(parts), { mode: 0o755 });
    cleanups.push(() => rmSync(path, { force: true }));
  }
  // The compressed copy `bun run build:agents` writes beside each binary, when it is not there yet.
  const gzipPath = `${path}.gz`;
  if (!existsSync(gzipPath) || statSync(gzipPath).mtimeMs < statSync(path).mtimeMs) {
    writeFileSync(gzipPath, gzipSync(readFileSync(path)));
    cleanups.push(() => rmSync(gzipPath, { force: true }));
  }
  return { path, sha256: createHash("sha256").update(readFileSync(path)).digest("hex") };
}

/** Starts `times` downloads and leaves each after its first chunk, as an impatient client does. */
async function walkAwayFromDownloads(url: string, times: number, headers: Record<string, string>) {
  for (let attempt = 0; attempt < times; attempt++) {
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal, headers });
    const reader = response.body?.getReader();
    await reader?.read();
    controller.abort();
    await reader?.cancel().catch(() => {});
  }
}

/** A GET as curl sends it: the body as it came over the wire, not decompressed. */
function rawGet(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, string>; body: Buffer }>((done, fail) => {
    httpRequest(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        done({
          status: response.statusCode ?? 0,
          headers: Object.fromEntries(
            Object.entries(response.headers).map(([key, value]) => [key, String(value)]),
          ),
          body: Buffer.concat(chunks),
        }),
      );
      response.on("error", fail);
    })
      .on("error", fail)
      .end();
  });
}

function expectSecurityHeaders(headers: Headers) {
  expect(headers.get("x-content-type-options")).toBe("nosniff");
  expect(headers.get("referrer-policy")).toBe("same-origin");
  expect(headers.get("permissions-policy")).toContain("camera=()");
  expect(headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
}

describe(`security headers and downloads (${postgresUrl ? "Postgres" : "embedded PGlite"})`, () => {
  test("pages, the API and downloads carry security headers; HSTS only over a trusted TLS proxy", async () => {
    await running?.stop();
    running = await startNextServer({ ...(await databaseEnvironment()), REDFLAG_TRUST_PROXY: "true" });
    const page = await fetch(`${running.url}/setup`);
    expect(page.status).toBe(200);
    expectSecurityHeaders(page.headers);
    const policy = page.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce).toBeString();
    expect(policy).toContain("default-src 'self'");
    expect(policy).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(policy).not.toMatch(/https?:\/\//);
    // Next's own inline scripts carry the nonce; no script goes without.
    const html = await page.text();
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
    expect(page.headers.get("strict-transport-security")).toBeNull();
    const again = await fetch(`${running.url}/setup`);
    expect(again.headers.get("content-security-policy")).not.toContain(`'nonce-${nonce}'`);

    const behindTls = await fetch(`${running.url}/login`, { headers: { "x-forwarded-proto": "https" } });
    expect(behindTls.headers.get("strict-transport-security")).toContain("max-age=");
    expect(behindTls.headers.get("content-security-policy")).toContain("upgrade-insecure-requests");

    const api = await fetch(`${running.url}/api/trpc/auth.setupStatus`);
    expect(api.status).toBe(200);
    expectSecurityHeaders(api.headers);
    expect(api.headers.get("content-security-policy")).toContain("default-src 'none'");
    const apiOverTls = await fetch(`${running.url}/api/trpc/auth.setupStatus`, {
      headers: { "x-forwarded-proto": "https" },
    });
    expect(apiOverTls.headers.get("strict-transport-security")).toContain("max-age=");

    const binary = agentBinary();
    const download = await fetch(`${running.url}/downloads/redflag-agent-linux-x64.sha256`);
    expectSecurityHeaders(download.headers);
    expect(await download.text()).toBe(`${binary.sha256}  redflag-agent-linux-x64\n`);
  }, 180_000);

  test("downloads: SHA256SUMS, the exact binary with its ETag, and aborted downloads close cleanly", async () => {
    if (!running) throw new Error("the server of the previous test is not running");
    const url = running.url;
    const binary = agentBinary();
    const sums = await fetch(`${url}/downloads/SHA256SUMS`);
    expect(sums.status).toBe(200);
    expect(await sums.text()).toContain(`${binary.sha256}  redflag-agent-linux-x64\n`);

    // Clients that walk away mid-download.
    await walkAwayFromDownloads(`${url}/downloads/redflag-agent-linux-x64`, 5, {
      "accept-encoding": "identity",
    });

    const whole = await fetch(`${url}/downloads/redflag-agent-linux-x64`, {
      headers: { "accept-encoding": "identity" },
    });
    expect(whole.status).toBe(200);
    expect(
      createHash("sha256")
        .update(Buffer.from(await whole.arrayBuffer()))
        .digest("hex"),
    ).toBe(binary.sha256);
    const etag = whole.headers.get("etag") ?? "";
    expect(etag).toBe(`"${binary.sha256}"`);
    const unchanged = await rawGet(`${url}/downloads/redflag-agent-linux-x64`, { "if-none-match": etag });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body.length).toBe(0);

    // A client that accepts gzip gets the build's compressed copy, labelled, with its length.
    const compressed = await rawGet(`${url}/downloads/redflag-agent-linux-x64`, {
      "accept-encoding": "gzip",
    });
    expect(compressed.status).toBe(200);
    expect(compressed.headers["content-encoding"]).toBe("gzip");
    expect(Number(compressed.headers["content-length"])).toBe(compressed.body.length);
    expect(compressed.body.length).toBeLessThan(statSync(binary.path).size);
    expect(compressed.headers.vary).toContain("Accept-Encoding");
    expect(compressed.headers["x-checksum-sha256"]).toBe(binary.sha256);
    expect(compressed.headers["x-content-type-options"]).toBe("nosniff");
    expect(compressed.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(createHash("sha256").update(gunzipSync(compressed.body)).digest("hex")).toBe(binary.sha256);
    const compressedEtag = compressed.headers.etag ?? "";
    expect(compressedEtag).toBe(`"${binary.sha256}-gzip"`);
    const compressedUnchanged = await rawGet(`${url}/downloads/redflag-agent-linux-x64`, {
      "accept-encoding": "gzip",
      "if-none-match": compressedEtag,
    });
    expect(compressedUnchanged.status).toBe(304);
    // Walking away from a compressed download is as clean.
    await walkAwayFromDownloads(`${url}/downloads/redflag-agent-linux-x64`, 3, { "accept-encoding": "gzip" });

    expect((await fetch(`${url}/api/health`)).status).toBe(200);
    expect(running.output()).not.toContain("Controller is already closed");
    expect(running.output()).not.toContain("uncaughtException");
  }, 240_000);
});

describe(`Prometheus /metrics on the production server (${postgresUrl ? "Postgres" : "embedded PGlite"})`, () => {
  test("refused without the metrics token; scraped with the one an admin made", async () => {
    await running?.stop();
    running = await startNextServer({
      ...(await databaseEnvironment()),
      REDFLAG_ADMIN_USER: "admin",
      REDFLAG_ADMIN_PASSWORD: "e2e admin password",
    });
    expect((await fetch(`${running.url}/metrics`)).status).toBe(401);
    const login = await rawCall(running.url, "auth.login", {
      type: "mutation",
      input: { username: "admin", password: "e2e admin password" },
    });
    const admin = apiClient(running.url, { cookie: login.headers.get("set-cookie")?.split(";")[0] ?? "" });
    const { token } = await admin.metricsToken.create.mutate();
    expect(
      (await fetch(`${running.url}/metrics`, { headers: { authorization: "Bearer rf_met_wrong" } })).status,
    ).toBe(401);
    const scraped = await fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    // Left alone by the page proxy: no per-request CSP nonce.
    expect(scraped.headers.get("content-security-policy") ?? "").not.toContain("nonce-");
    const text = await scraped.text();
    expect(text).toContain('redflag_api_request_duration_seconds_count{procedure="metricsToken.create"');
    expect(text).toContain("redflag_database_up 1");
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
  }, 180_000);
});
