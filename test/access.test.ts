import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appRouter } from "@redflag/api";
import type { Role } from "@redflag/contracts";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import {
  apiClient,
  errorCodeOf,
  rawCall,
  serverStartTimeout,
  startTestServer,
  type TestServer,
} from "./harness/server.ts";

type Procedure = { _def: { type: "query" | "mutation" | "subscription"; meta?: { access?: string } } };

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, Procedure>).map(
  ([path, procedure]) => ({
    path,
    type: procedure._def.type === "query" ? ("query" as const) : ("mutation" as const),
    access: procedure._def.meta?.access,
  }),
);

let server: TestServer;
const tokens: Record<Role, string> = { viewer: "", operator: "", admin: "" };
let agentToken = "";
let revokedToken = "";

beforeAll(async () => {
  server = await startTestServer();
  const admin = await signIn(server, "admin");
  for (const role of ["viewer", "operator", "admin"] as const) {
    tokens[role] = (await admin.client.apiTokens.create.mutate({ name: role, role })).token;
  }
  const revoked = await admin.client.apiTokens.create.mutate({ name: "revoked", role: "admin" });
  await admin.client.apiTokens.revoke.mutate({ tokenId: revoked.id });
  revokedToken = revoked.token;
  agentToken = (await registerAgent(server, admin)).accessToken;
}, serverStartTimeout);
afterAll(async () => {
  await server.stop();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const garbage = { unexpected: ["garbage"] };

describe("every procedure refuses the wrong caller", () => {
  test("every procedure declares who may call it, and only these are public", () => {
    for (const procedure of procedures) {
      expect({ path: procedure.path, access: procedure.access }).toEqual({
        path: procedure.path,
        access: expect.stringMatching(/^(public|agent|viewer|operator|admin)$/),
      });
    }
    expect(
      procedures
        .filter((procedure) => procedure.access === "public")
        .map((procedure) => procedure.path)
        .sort(),
    ).toEqual(["agent.register", "agent.renew", "auth.login", "auth.setup", "auth.setupStatus"]);
    expect(procedures.length).toBeGreaterThan(30);
  });

  for (const procedure of procedures.filter((candidate) => candidate.access !== "public")) {
    test(`${procedure.path} (${procedure.access})`, async () => {
      const call = (headers: Record<string, string>) =>
        rawCall(server.url, procedure.path, { type: procedure.type, input: garbage, headers });
      expect((await call({})).status).toBe(401);
      expect((await call(bearer(revokedToken))).status).toBe(401);
      expect((await call(bearer("rf_pat_not-a-real-token"))).status).toBe(401);
      if (procedure.access === "agent") {
        for (const role of ["viewer", "operator", "admin"] as const) {
          expect((await call(bearer(tokens[role]))).status).toBe(401);
        }
        expect((await call(bearer(`${agentToken.slice(0, -4)}AAAA`))).status).toBe(401);
        const allowed = await call(bearer(agentToken));
        expect(allowed.status).toBe(400);
        return;
      }
      expect((await call(bearer(agentToken))).status).toBe(401);
      const needed = procedure.access as Role;
      const ranks: Role[] = ["viewer", "operator", "admin"];
      for (const role of ranks) {
        const response = await call(bearer(tokens[role]));
        if (ranks.indexOf(role) < ranks.indexOf(needed)) expect(response.status).toBe(403);
        else expect([200, 400]).toContain(response.status);
      }
    });
  }
});

describe("agents touch only their own rows", () => {
  test("agent A reporting on agent B's command gets NOT_FOUND", async () => {
    const admin = await signIn(server, "operator");
    const agentA = await registerAgent(server, admin);
    const agentB = await registerAgent(server, admin);
    await agentB.client.agent.reportScan.mutate(scanReport([aptItem("bash")]));
    const [update] = (await admin.client.updates.list.query({ agentId: agentB.agentId })).items;
    if (!update) throw new Error("update missing");
    const { commandIds } = await admin.client.updates.install.mutate({ updateIds: [update.id] });
    const [commandId] = commandIds;
    if (!commandId) throw new Error("no command queued");
    expect(
      await errorCodeOf(agentA.client.agent.reportProgress.mutate({ commandId, percent: 1, message: "x" })),
    ).toBe("NOT_FOUND");
    expect(
      await errorCodeOf(
        agentA.client.agent.reportResult.mutate({
          commandId,
          status: "succeeded",
          exitCode: 0,
          output: "",
          startedAt: new Date(),
          finishedAt: new Date(),
          items: [{ updateId: update.id, status: "installed", installedVersion: "1.0-2", message: "" }],
        }),
      ),
    ).toBe("NOT_FOUND");
    // Agent A's check-in never leases B's command; B's does.
    expect(
      (await agentA.client.agent.checkIn.mutate({ agentVersion: "1", metrics: {}, rebootRequired: false }))
        .commands,
    ).toEqual([]);
    const forB = await agentB.client.agent.checkIn.mutate({
      agentVersion: "1",
      metrics: {},
      rebootRequired: false,
    });
    expect(forB.commands.map((command) => command.id)).toEqual([commandId]);
    const [unchanged] = (await admin.client.updates.list.query({ agentId: agentB.agentId })).items;
    expect(unchanged?.status).toBe("installing");
  });

  test("a deleted agent's access token stops working at once", async () => {
    const admin = await signIn(server, "admin");
    const agent = await registerAgent(server, admin);
    await admin.client.agents.delete.mutate({ agentId: agent.agentId });
    expect(
      await errorCodeOf(
        agent.client.agent.checkIn.mutate({ agentVersion: "1", metrics: {}, rebootRequired: false }),
      ),
    ).toBe("UNAUTHORIZED");
    expect(await errorCodeOf(admin.client.agents.get.query({ agentId: agent.agentId }))).toBe("NOT_FOUND");
  });

  test("a cookie session cannot be used for a cross-site change", async () => {
    const admin = await signIn(server, "admin");
    const host = new URL(server.url).host;
    const crossSite = await rawCall(server.url, "settings.set", {
      type: "mutation",
      input: { key: "debugMode", value: true },
      headers: { cookie: admin.cookie, origin: "https://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    const sameSite = await rawCall(server.url, "settings.set", {
      type: "mutation",
      input: { key: "debugMode", value: true },
      headers: { cookie: admin.cookie, origin: `http://${host}` },
    });
    expect(sameSite.status).toBe(200);
    expect((await apiClient(server.url, { cookie: admin.cookie }).settings.get.query()).debugMode).toBe(true);
  });
});
