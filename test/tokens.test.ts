import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { signAccessToken } from "@redflag/api/auth/tokens.ts";
import { newId } from "@redflag/contracts";
import { registrationTokens } from "@redflag/db";
import { eq } from "drizzle-orm";
import { aptItem, hostFacts, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import {
  apiClient,
  errorCodeOf,
  serverStartTimeout,
  startTestServer,
  type TestServer,
  testSecret,
} from "./harness/server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ rateLimits: { renewPerAgent: { limit: 1000, windowSeconds: 60 } } });
}, serverStartTimeout);
afterAll(async () => {
  await server.stop();
});

const checkIn = { agentVersion: "0.1.0", metrics: {}, rebootRequired: false };

describe("agent refresh tokens", () => {
  test("each renew rotates the refresh token and issues a working access token", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const anonymous = apiClient(server.url);
    const renewed = await anonymous.agent.renew.mutate({
      agentId: agent.agentId,
      refreshToken: agent.refreshToken,
    });
    expect(renewed.refreshToken).not.toBe(agent.refreshToken);
    expect(renewed.refreshTokenExpiresAt.getTime()).toBeGreaterThan(Date.now() + 89 * 24 * 3600 * 1000);
    const client = apiClient(server.url, { token: renewed.accessToken });
    expect((await client.agent.checkIn.mutate(checkIn)).commands).toEqual([]);
    const again = await anonymous.agent.renew.mutate({
      agentId: agent.agentId,
      refreshToken: renewed.refreshToken,
    });
    expect(again.refreshToken).not.toBe(renewed.refreshToken);
  });

  test("replaying a used refresh token revokes the whole family", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const anonymous = apiClient(server.url);
    const first = await anonymous.agent.renew.mutate({
      agentId: agent.agentId,
      refreshToken: agent.refreshToken,
    });
    // Someone replays the original (stolen) token: refused, and the legitimate newer token dies too.
    expect(
      await errorCodeOf(
        anonymous.agent.renew.mutate({ agentId: agent.agentId, refreshToken: agent.refreshToken }),
      ),
    ).toBe("UNAUTHORIZED");
    expect(
      await errorCodeOf(
        anonymous.agent.renew.mutate({ agentId: agent.agentId, refreshToken: first.refreshToken }),
      ),
    ).toBe("UNAUTHORIZED");
    const audit = await admin.client.audit.list.query({ entityType: "agent", entityId: agent.agentId });
    expect(audit.items.map((event) => event.action)).toContain("agent.refresh_token_replayed");
  });

  test("two concurrent renews with one token: at most one wins", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const anonymous = apiClient(server.url);
    const results = await Promise.allSettled(
      [1, 2, 3].map(() =>
        anonymous.agent.renew.mutate({ agentId: agent.agentId, refreshToken: agent.refreshToken }),
      ),
    );
    expect(results.filter((result) => result.status === "fulfilled").length).toBeLessThanOrEqual(1);
  });

  test("a refresh token only works for its own agent", async () => {
    const admin = await signIn(server, "operator");
    const agentA = await registerAgent(server, admin);
    const agentB = await registerAgent(server, admin);
    const anonymous = apiClient(server.url);
    expect(
      await errorCodeOf(
        anonymous.agent.renew.mutate({ agentId: agentB.agentId, refreshToken: agentA.refreshToken }),
      ),
    ).toBe("UNAUTHORIZED");
    // The failed attempt did not burn A's token.
    await anonymous.agent.renew.mutate({ agentId: agentA.agentId, refreshToken: agentA.refreshToken });
  });
});

describe("revocation reaches live access tokens", () => {
  test("a replayed refresh token refuses the family's access tokens at their next call", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const anonymous = apiClient(server.url);
    const renewed = await anonymous.agent.renew.mutate({
      agentId: agent.agentId,
      refreshToken: agent.refreshToken,
    });
    const current = apiClient(server.url, { token: renewed.accessToken });
    expect((await current.agent.checkIn.mutate(checkIn)).commands).toEqual([]);
    expect(await current.agent.reportScan.mutate(scanReport([aptItem("curl")]))).toMatchObject({});
    // The stolen original refresh token is replayed: the family is revoked, and so are its access tokens.
    expect(
      await errorCodeOf(
        anonymous.agent.renew.mutate({ agentId: agent.agentId, refreshToken: agent.refreshToken }),
      ),
    ).toBe("UNAUTHORIZED");
    for (const client of [current, agent.client]) {
      expect(await errorCodeOf(client.agent.checkIn.mutate(checkIn))).toBe("UNAUTHORIZED");
      expect(await errorCodeOf(client.agent.reportScan.mutate(scanReport([aptItem("curl")])))).toBe(
        "UNAUTHORIZED",
      );
      expect(
        await errorCodeOf(
          client.agent.reportProgress.mutate({ commandId: newId("command"), percent: 10, message: "x" }),
        ),
      ).toBe("UNAUTHORIZED");
    }
  });

  test("a deleted agent's access token is refused by check-in and reportScan", async () => {
    const admin = await signIn(server, "admin");
    const agent = await registerAgent(server, admin);
    await agent.client.agent.checkIn.mutate(checkIn);
    await admin.client.agents.delete.mutate({ agentId: agent.agentId });
    expect(await errorCodeOf(agent.client.agent.checkIn.mutate(checkIn))).toBe("UNAUTHORIZED");
    expect(await errorCodeOf(agent.client.agent.reportScan.mutate(scanReport([aptItem("curl")])))).toBe(
      "UNAUTHORIZED",
    );
  });

  test("a correctly signed access token with an absurd expiry is refused", async () => {
    const admin = await signIn(server, "operator");
    const agent = await registerAgent(server, admin);
    const forever = signAccessToken(testSecret, {
      agentId: agent.agentId,
      generation: 0,
      expiresAt: new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000),
    });
    const client = apiClient(server.url, { token: forever });
    expect(await errorCodeOf(client.agent.checkIn.mutate(checkIn))).toBe("UNAUTHORIZED");
    const fair = signAccessToken(testSecret, {
      agentId: agent.agentId,
      generation: 0,
      expiresAt: new Date(Date.now() + 3600 * 1000),
    });
    expect((await apiClient(server.url, { token: fair }).agent.checkIn.mutate(checkIn)).commands).toEqual([]);
  });
});

describe("registration tokens", () => {
  test("seats are counted, and revoked or expired tokens are refused with a clear reason", async () => {
    const admin = await signIn(server, "operator");
    const anonymous = apiClient(server.url);
    const token = await admin.client.registrationTokens.create.mutate({
      label: "rack 1",
      seats: 2,
      expiresInHours: 1,
    });
    expect(token.token).toStartWith("rf_reg_");
    await anonymous.agent.register.mutate({ registrationToken: token.token, host: hostFacts() });
    await anonymous.agent.register.mutate({ registrationToken: token.token, host: hostFacts() });
    const full = await anonymous.agent.register
      .mutate({ registrationToken: token.token, host: hostFacts() })
      .catch((error) => error);
    expect(full.message).toContain("no seats left");
    const listed = (await admin.client.registrationTokens.list.query()).find((row) => row.id === token.id);
    expect(listed).toMatchObject({ seatsUsed: 2, usable: false });

    const revocable = await admin.client.registrationTokens.create.mutate({ label: "revoke me", seats: 5 });
    await admin.client.registrationTokens.revoke.mutate({ tokenId: revocable.id });
    const revoked = await anonymous.agent.register
      .mutate({ registrationToken: revocable.token, host: hostFacts() })
      .catch((error) => error);
    expect(revoked.message).toContain("revoked");

    const expiring = await admin.client.registrationTokens.create.mutate({ label: "old", seats: 5 });
    await server.api.db
      .update(registrationTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(registrationTokens.id, expiring.id));
    const expired = await anonymous.agent.register
      .mutate({ registrationToken: expiring.token, host: hostFacts() })
      .catch((error) => error);
    expect(expired.message).toContain("expired");
    const unknown = await anonymous.agent.register
      .mutate({ registrationToken: "rf_reg_unknown-token-value", host: hostFacts() })
      .catch((error) => error);
    expect(unknown.message).toContain("not recognised");
    const agents = await admin.client.agents.list.query({});
    expect(agents.items.filter((agent) => agent.hostname.startsWith("host-")).length).toBe(agents.total);
  });
});

describe("API tokens", () => {
  test("are shown once, work as Bearer tokens, cannot outrank their creator, and stop when revoked", async () => {
    const operator = await signIn(server, "operator");
    const created = await operator.client.apiTokens.create.mutate({ name: "script", role: "viewer" });
    expect(created.token).toStartWith("rf_pat_");
    const script = apiClient(server.url, { token: created.token });
    expect(await script.auth.me.query()).toMatchObject({ role: "viewer", via: "api_token" });
    expect(
      await errorCodeOf(script.updates.approve.mutate({ updateIds: ["upd_00000000000000000000000000"] })),
    ).toBe("FORBIDDEN");
    expect(
      await errorCodeOf(operator.client.apiTokens.create.mutate({ name: "escalate", role: "admin" })),
    ).toBe("FORBIDDEN");
    await operator.client.apiTokens.revoke.mutate({ tokenId: created.id });
    expect(await errorCodeOf(script.auth.me.query())).toBe("UNAUTHORIZED");
  });
});

describe("registration rate limit", () => {
  test(
    "registrations from one address are limited, and a refused attempt takes no seat",
    async () => {
      const limited = await startTestServer({
        rateLimits: { registerPerAddress: { limit: 2, windowSeconds: 60 } },
      });
      try {
        const admin = await signIn(limited, "operator");
        const token = await admin.client.registrationTokens.create.mutate({ label: "limit", seats: 10 });
        const anonymous = apiClient(limited.url);
        await anonymous.agent.register.mutate({ registrationToken: token.token, host: hostFacts() });
        await anonymous.agent.register.mutate({ registrationToken: token.token, host: hostFacts() });
        expect(
          await errorCodeOf(
            anonymous.agent.register.mutate({ registrationToken: token.token, host: hostFacts() }),
          ),
        ).toBe("TOO_MANY_REQUESTS");
        const listed = (await admin.client.registrationTokens.list.query()).find(
          (row) => row.id === token.id,
        );
        expect(listed?.seatsUsed).toBe(2);
      } finally {
        await limited.stop();
      }
    },
    serverStartTimeout,
  );
});
