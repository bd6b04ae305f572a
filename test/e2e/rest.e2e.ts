import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { testEnvironment } from "../harness/environment.ts";
import { aptItem, hostFacts, scanReport } from "../harness/fixtures.ts";
import { apiClient, rawCall } from "../harness/server.ts";
import {
  type NextServer,
  serverDatabaseEnvironment,
  startNextServer,
  temporaryDirectory,
} from "./next-server.ts";

/** The REST routes of the production server, called with plain curl as a shell script would. */
const postgresUrl = testEnvironment.postgresUrl;
const cleanups: (() => Promise<void> | void)[] = [];
let running: NextServer | null = null;
const scratch = temporaryDirectory("redflag-rest-e2e-");
cleanups.push(scratch.remove);

afterAll(async () => {
  await running?.stop();
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 30_000);

type Json = Record<string, unknown> & { items?: Array<Record<string, unknown>>; message?: string };
type CurlAnswer = { status: number; headers: Record<string, string>; text: string; json: () => Json };

let calls = 0;

/** One curl call (argv, no shell): the status, the headers (lower-case names) and the body. */
async function curl(method: string, url: string, options: { token?: string; json?: unknown } = {}) {
  calls++;
  const headerFile = join(scratch.path, `headers-${calls}`);
  const argv = ["curl", "--silent", "--show-error", "--request", method, "--dump-header", headerFile];
  argv.push("--write-out", "\n%{http_code}");
  if (options.token) argv.push("--header", `Authorization: Bearer ${options.token}`);
  if (options.json !== undefined) {
    argv.push("--header", "Content-Type: application/json", "--data-binary", JSON.stringify(options.json));
  }
  argv.push(url);
  const child = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (exitCode !== 0) throw new Error(`curl ${method} ${url} exited with ${exitCode}: ${stderr}`);
  const cut = stdout.lastIndexOf("\n");
  const text = stdout.slice(0, cut);
  const headers: Record<string, string> = {};
  for (const line of readFileSync(headerFile, "utf8").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const answer: CurlAnswer = {
    status: Number(stdout.slice(cut + 1)),
    headers,
    text,
    json: () => JSON.parse(text) as Json,
  };
  return answer;
}

describe(`REST routes on the production server (${postgresUrl ? "Postgres" : "embedded PGlite"})`, () => {
  test("an agent registers and renews over REST; its update is approved and installed over REST with curl", async () => {
    running = await startNextServer({
      ...(await serverDatabaseEnvironment(postgresUrl, cleanups, "redflag-rest-e2e-")),
      REDFLAG_ADMIN_USER: "admin",
      REDFLAG_ADMIN_PASSWORD: "e2e admin password",
    });
    const api = `${running.url}/api/v1`;

    // The admin creates tokens in the dashboard (its tRPC API, with the session cookie).
    const login = await rawCall(running.url, "auth.login", {
      type: "mutation",
      input: { username: "admin", password: "e2e admin password" },
    });
    expect(login.status).toBe(200);
    const admin = apiClient(running.url, { cookie: login.headers.get("set-cookie")?.split(";")[0] ?? "" });
    const operator = (
      await admin.apiTokens.create.mutate({ name: "script", role: "operator", expiresInDays: 1 })
    ).token;
    const viewer = (await admin.apiTokens.create.mutate({ name: "report", role: "viewer", expiresInDays: 1 }))
      .token;
    const registration = await admin.registrationTokens.create.mutate({ label: "rest e2e", seats: 1 });

    const host = hostFacts({ hostname: "rest-e2e-host" });
    const registered = await curl("POST", `${api}/agents/register`, {
      json: { registrationToken: registration.token, host },
    });
    expect(registered.status).toBe(200);
    expect(registered.headers["x-request-id"]).toBeTruthy();
    const { agentId, refreshToken } = registered.json() as unknown as {
      agentId: string;
      refreshToken: string;
    };
    expect(agentId).toStartWith("agt_");

    const renewed = await curl("POST", `${api}/agents/renew`, { json: { agentId, refreshToken } });
    expect(renewed.status).toBe(200);
    const { accessToken, refreshToken: nextRefreshToken } = renewed.json() as unknown as {
      accessToken: string;
      refreshToken: string;
    };
    expect(nextRefreshToken).not.toBe(refreshToken);

    const agents = await curl("GET", `${api}/agents`, { token: viewer });
    expect(agents.status).toBe(200);
    expect(agents.json().items).toMatchObject([{ id: agentId, hostname: "rest-e2e-host" }]);

    // The agent reports a scan with its renewed token (the scan report stays on the agent's tRPC path).
    await apiClient(running.url, { token: accessToken }).agent.reportScan.mutate(
      scanReport([aptItem("openssl", { security: true })]),
    );
    const agentUpdates = await curl("GET", `${api}/agents/${agentId}/updates`, { token: viewer });
    expect(agentUpdates.status).toBe(200);
    const [update] = (agentUpdates.json().items ?? []) as Array<{
      id: string;
      packageName: string;
      status: string;
    }>;
    expect(update).toMatchObject({ packageName: "openssl", status: "available" });
    const securityUpdates = await curl("GET", `${api}/updates?security=true&statuses=available`, {
      token: viewer,
    });
    expect(securityUpdates.json().items?.map((item) => item.id)).toEqual([update?.id]);

    // Refused: no token (401), a viewer's token on a change (403); nothing changed.
    expect((await curl("GET", `${api}/agents`)).status).toBe(401);
    const refused = await curl("POST", `${api}/updates/${update?.id}/approve`, { token: viewer });
    expect(refused.status).toBe(403);
    expect(refused.json().message).toContain("operator");

    const approved = await curl("POST", `${api}/updates/${update?.id}/approve`, { token: operator });
    expect(approved.status).toBe(200);
    expect(approved.json()).toEqual({ changed: 1 });
    const installed = await curl("POST", `${api}/updates/${update?.id}/install`, { token: operator });
    expect(installed.status).toBe(200);
    const [commandId] = installed.json().commandIds as string[];

    const commands = await curl("GET", `${api}/commands`, { token: viewer });
    expect(commands.status).toBe(200);
    expect(commands.json().items).toMatchObject([
      { id: commandId, agentId, type: "install", status: "pending" },
    ]);
    const command = await curl("GET", `${api}/commands/${commandId}`, { token: viewer });
    expect(command.json()).toMatchObject({ id: commandId, targets: [{ updateId: update?.id }] });

    // Mistakes answer 4xx with a message, never 5xx.
    const unknown = await curl("GET", `${api}/no-such-route`, { token: viewer });
    expect(unknown.status).toBe(404);
    expect(unknown.json().message).toContain("openapi.json");
    expect((await curl("PUT", `${api}/agents`, { token: viewer })).status).toBe(405);
    expect((await curl("GET", `${api}/agents/not-an-id`, { token: viewer })).status).toBe(400);
  }, 180_000);

  test("serves a valid OpenAPI 3.1 document and a reference page with no remote assets", async () => {
    if (!running) throw new Error("the server did not start");
    const document = await curl("GET", `${running.url}/api/v1/openapi.json`);
    expect(document.status).toBe(200);
    const validator = new Validator();
    const result = await validator.validate(document.json());
    expect(result.errors).toBeUndefined();
    expect(validator.version).toBe("3.1");
    expect(Object.keys(document.json().paths as object)).toContain("/agents/{agentId}/updates");

    const page = await curl("GET", `${running.url}/api-reference`);
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(page.text).toContain("/agents/{agentId}/updates");
    // Every script and stylesheet comes from this server.
    expect(page.text).not.toMatch(/<(script|link)[^>]+(src|href)="(https?:)?\/\//);
  }, 60_000);
});
