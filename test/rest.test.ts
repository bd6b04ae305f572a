import { describe, expect, test } from "bun:test";
import {
  type ApiServer,
  createRestHandler,
  type RestRoute,
  restOpenApiDocument,
  restRouter,
  restRoutes,
} from "@redflag/api";
import { hasRole, listUpdatesInput, type Role } from "@redflag/contracts";
import { Validator } from "@seriousme/openapi-schema-validator";
import { aptItem, hostFacts, scanReport, signIn } from "./harness/fixtures.ts";
import { apiClient, type TestServer, useTestServer } from "./harness/server.ts";

let server: TestServer;
useTestServer((started) => {
  server = started;
});

type RequestRecord = Parameters<ApiServer["requestObservers"][number]>[0];
type Procedure = { _def: { meta?: { access?: "public" | "agent" | Role } } };
const procedures = restRouter._def.procedures as unknown as Record<string, Procedure>;

type Answer = { status: number; body: Record<string, unknown>; headers: Headers };

/** One request to /api/v1 through the REST handler, as the web server would pass it on. */
async function rest(
  method: string,
  path: string,
  options: { token?: string; json?: unknown; rawBody?: string; contentType?: string } = {},
): Promise<Answer> {
  const handler = createRestHandler(server.api, {
    onInternalError: (error) => console.error("internal error in REST test handler:", error),
  });
  const headers = new Headers({ "x-forwarded-for": "192.0.2.10" });
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers.set("content-type", "application/json");
  } else if (options.rawBody !== undefined) {
    body = options.rawBody;
    headers.set("content-type", options.contentType ?? "application/json");
  }
  const response = await handler(new Request(`${server.url}/api/v1${path}`, { method, headers, body }));
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
}

async function apiToken(role: Role): Promise<string> {
  const admin = await signIn(server, "admin");
  const created = await admin.client.apiTokens.create.mutate({
    name: `rest ${role}`,
    role,
    expiresInDays: 1,
  });
  return created.token;
}

/** A concrete path for a route: each `{param}` filled with a well-formed id that names nothing. */
function concretePath(route: RestRoute): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const prefix = { agentId: "agt", updateId: "upd", commandId: "cmd" }[name] ?? "xxx";
    return `${prefix}_${"0".repeat(26)}`;
  });
}

describe("OpenAPI document", () => {
  test("is a valid OpenAPI 3.1 document with relative servers, security schemes and the seed's routes", async () => {
    const document = restOpenApiDocument("1.2.3");
    const validator = new Validator();
    // As a client reads it: JSON.
    const result = await validator.validate(JSON.parse(JSON.stringify(document)));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(document.info.version).toBe("1.2.3");
    expect(document.servers).toEqual([{ url: "/api/v1" }]);
    expect(Object.keys(document.components?.securitySchemes ?? {}).sort()).toEqual(["apiToken", "session"]);
    const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item ?? {}).map((method) => `${method.toUpperCase()} ${path}`),
    );
    for (const seed of [
      "POST /agents/register",
      "POST /agents/renew",
      "GET /agents",
      "GET /agents/{agentId}/updates",
      "GET /updates",
      "POST /updates/{updateId}/approve",
      "POST /updates/{updateId}/install",
      "GET /commands",
    ]) {
      expect(operations).toContain(seed);
    }
  });

  test("every route maps to a procedure that exists, and the document's security matches its access", async () => {
    const document = restOpenApiDocument("1.2.3");
    const documented = Object.values(document.paths ?? {}).flatMap((item) => Object.values(item ?? {}));
    expect(restRoutes.length).toBe(documented.length);
    for (const route of restRoutes) {
      const access = procedures[route.procedure]?._def.meta?.access;
      expect(access).toBeDefined();
      const operation = document.paths?.[route.path]?.[route.method.toLowerCase() as "get"];
      expect(operation).toBeDefined();
      // An admin route asks for a credential in the document, a public one does not.
      expect(operation?.security !== undefined).toBe(access !== "public");
      expect(operation?.["x-redflag-access"]).toBe(access);
      expect(access).not.toBe("agent");
    }
  });

  test("every admin route refuses a caller without a token (401), and a viewer's token on a change (403)", async () => {
    const viewer = await apiToken("viewer");
    for (const route of restRoutes) {
      const access = procedures[route.procedure]?._def.meta?.access;
      if (!access || access === "public" || access === "agent") continue;
      const body = route.hasBody ? {} : undefined;
      const anonymous = await rest(route.method, concretePath(route), { json: body });
      expect({ route: route.path, status: anonymous.status }).toEqual({ route: route.path, status: 401 });
      if (!hasRole("viewer", access)) {
        const refused = await rest(route.method, concretePath(route), { token: viewer, json: body });
        expect({ route: route.path, status: refused.status }).toEqual({ route: route.path, status: 403 });
      }
    }
  });
});

describe("REST routes", () => {
  test("an agent registers and renews over REST; its update is approved and installed over REST", async () => {
    const operator = await apiToken("operator");
    const admin = await signIn(server, "admin");
    const registration = await admin.client.registrationTokens.create.mutate({ label: "rest", seats: 1 });
    const host = hostFacts();
    const registered = await rest("POST", "/agents/register", {
      json: { registrationToken: registration.token, host },
    });
    expect(registered.status).toBe(200);
    const agentId = registered.body.agentId as string;
    expect(agentId).toStartWith("agt_");
    // Times are ISO strings in JSON.
    expect(new Date(registered.body.accessTokenExpiresAt as string).toISOString()).toBe(
      registered.body.accessTokenExpiresAt as string,
    );
    const renewed = await rest("POST", "/agents/renew", {
      json: { agentId, refreshToken: registered.body.refreshToken },
    });
    expect(renewed.status).toBe(200);
    expect(renewed.body.refreshToken).not.toBe(registered.body.refreshToken);

    const agents = await rest("GET", `/agents?search=${host.hostname}`, { token: operator });
    expect(agents.status).toBe(200);
    expect((agents.body.items as Array<{ id: string }>).map((agent) => agent.id)).toEqual([agentId]);

    const agent = apiClient(server.url, { token: renewed.body.accessToken as string });
    await agent.agent.reportScan.mutate(scanReport([aptItem("openssl", { security: true })]));
    const updates = await rest("GET", `/agents/${agentId}/updates?security=true`, { token: operator });
    expect(updates.status).toBe(200);
    const [update] = updates.body.items as Array<{ id: string; packageName: string }>;
    expect(update?.packageName).toBe("openssl");
    const notSecurity = await rest("GET", `/updates?agentId=${agentId}&security=false`, { token: operator });
    expect(notSecurity.body.total).toBe(0);

    const approved = await rest("POST", `/updates/${update?.id}/approve`, { token: operator });
    expect(approved).toMatchObject({ status: 200, body: { changed: 1 } });
    const installed = await rest("POST", `/updates/${update?.id}/install`, { token: operator });
    expect(installed.status).toBe(200);
    const [commandId] = installed.body.commandIds as string[];
    const commands = await rest("GET", `/commands?agentId=${agentId}`, { token: operator });
    expect(commands.body.items).toMatchObject([{ id: commandId, type: "install", status: "pending" }]);
    const command = await rest("GET", `/commands/${commandId}`, { token: operator });
    expect(command.body).toMatchObject({ id: commandId, agentId });
  });

  test("an agent is configured, sent a scan and deleted over REST (PATCH, POST, DELETE)", async () => {
    const admin = await signIn(server, "admin");
    const token = (
      await admin.client.apiTokens.create.mutate({ name: "rest admin", role: "admin", expiresInDays: 1 })
    ).token;
    const registration = await admin.client.registrationTokens.create.mutate({ label: "rest", seats: 1 });
    const registered = await rest("POST", "/agents/register", {
      json: { registrationToken: registration.token, host: hostFacts() },
    });
    const agentId = registered.body.agentId as string;
    const configured = await rest("PATCH", `/agents/${agentId}`, { token, json: { tags: ["eu-1", "web"] } });
    expect(configured).toMatchObject({ status: 200, body: { id: agentId, tags: ["eu-1", "web"] } });
    const scan = await rest("POST", `/agents/${agentId}/commands`, { token, json: { type: "scan" } });
    expect(scan).toMatchObject({ status: 200, body: { agentId, type: "scan", status: "pending" } });
    const cancelled = await rest("POST", `/commands/${scan.body.id}/cancel`, { token });
    expect(cancelled).toMatchObject({ status: 200, body: { id: scan.body.id, status: "cancelled" } });
    const deleted = await rest("DELETE", `/agents/${agentId}`, { token });
    expect(deleted).toMatchObject({ status: 200, body: { id: agentId } });
    expect((await rest("GET", `/agents/${agentId}`, { token })).status).toBe(404);
  });

  test("answers carry x-request-id and are told to the request observers as REST", async () => {
    const viewer = await apiToken("viewer");
    const seen: RequestRecord[] = [];
    const observer = (record: RequestRecord) => seen.push(record);
    server.api.requestObservers.push(observer);
    try {
      const answer = await rest("GET", "/commands", { token: viewer });
      expect(answer.status).toBe(200);
      const requestId = answer.headers.get("x-request-id");
      expect(requestId).toBeTruthy();
      expect(seen).toEqual([
        expect.objectContaining({
          requestId,
          transport: "rest",
          procedure: "commands.list",
          method: "GET",
          status: 200,
          caller: { kind: "api_token", id: expect.stringMatching(/^pat_/) },
        }),
      ]);
    } finally {
      server.api.requestObservers.splice(server.api.requestObservers.indexOf(observer), 1);
    }
  });

  test("a bad id, bad JSON, an unknown route, a wrong method and a bad query answer 4xx with a clear message", async () => {
    const operator = await apiToken("operator");
    const badId = await rest("GET", "/agents/not-an-id", { token: operator });
    expect(badId.status).toBe(400);
    expect(badId.body.message).toContain("agentId");
    expect(badId.headers.get("x-request-id")).toBe((badId.body.data as { requestId: string }).requestId);

    const badJson = await rest("POST", "/agents/register", { rawBody: "{not json" });
    expect(badJson.status).toBe(400);
    expect(badJson.body.message).toContain("not valid JSON");

    const unknown = await rest("GET", "/nothing-here", { token: operator });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain("/api/v1/openapi.json");

    const wrongMethod = await rest("DELETE", "/updates", { token: operator });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");

    const badBoolean = await rest("GET", "/updates?security=maybe", { token: operator });
    expect(badBoolean.status).toBe(400);
    expect(badBoolean.body.message).toContain("security");

    const missing = await rest("GET", `/commands/cmd_${"0".repeat(26)}`, { token: operator });
    expect(missing.status).toBe(404);

    const text = await rest("POST", "/agents/renew", { rawBody: "agentId=x", contentType: "text/plain" });
    expect(text.status).toBe(415);
  });

  test("query strings are typed for REST alone: the tRPC schemas still refuse strings for numbers and booleans", async () => {
    const viewer = await apiToken("viewer");
    const paged = await rest("GET", "/updates?page=1&pageSize=5&security=false&statuses=available", {
      token: viewer,
    });
    expect(paged.status).toBe(200);
    const notANumber = await rest("GET", "/updates?pageSize=many", { token: viewer });
    expect(notANumber.status).toBe(400);
    expect(notANumber.body.message).toContain("pageSize");
    expect(listUpdatesInput.safeParse({ page: "2" }).success).toBe(false);
    expect(listUpdatesInput.safeParse({ security: "false" }).success).toBe(false);
  });

  test("a body over the server's limit is refused with 413", async () => {
    const huge = "x".repeat(server.api.config.maxBodyBytes + 1);
    const answer = await rest("POST", "/agents/register", { json: { registrationToken: huge } });
    expect(answer.status).toBe(413);
  });
});
