import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { newSecretToken, signAccessToken } from "@redflag/api/auth/tokens.ts";
import { consumeRateLimit } from "@redflag/api/services/rate-limits/consume-rate-limit.ts";
import { deleteExpiredRateLimits } from "@redflag/api/services/rate-limits/delete-expired-rate-limits.ts";
import { newId } from "@redflag/contracts";
import { rateLimits, registrationTokens } from "@redflag/db";
import { eq, like, sql } from "drizzle-orm";
import { clientFrom } from "./harness/addresses.ts";
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
  server = await startTestServer({ rateLimits: { renewPerAddress: { limit: 1000, windowSeconds: 60 } } });
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

describe("renew rate limit", () => {
  test(
    "renewals are limited per address: strangers naming R's id cannot throttle R, and leave no rows per id",
    async () => {
      const limited = await startTestServer({
        rateLimits: { renewPerAddress: { limit: 5, windowSeconds: 300 } },
      });
      try {
        const admin = await signIn(limited, "operator");
        const agent = await registerAgent(limited, admin);
        const stranger = clientFrom(limited, "203.0.113.66");
        const codes: string[] = [];
        for (let attempt = 0; attempt < 30; attempt++) {
          codes.push(
            await errorCodeOf(
              stranger.agent.renew.mutate({ agentId: agent.agentId, refreshToken: newSecretToken("rf_rt_") }),
            ),
          );
        }
        expect(codes.slice(0, 5)).toEqual(Array(5).fill("UNAUTHORIZED"));
        expect(codes.slice(5)).toEqual(Array(25).fill("TOO_MANY_REQUESTS"));
        const rowsBefore = await limited.api.db.select().from(rateLimits);
        const randomIds = await Promise.all(
          Array.from({ length: 200 }, () =>
            errorCodeOf(
              clientFrom(limited, "203.0.113.67").agent.renew.mutate({
                agentId: newId("agent"),
                refreshToken: newSecretToken("rf_rt_"),
              }),
            ),
          ),
        );
        expect(new Set(randomIds)).toEqual(new Set(["UNAUTHORIZED", "TOO_MANY_REQUESTS"]));
        const rowsAfter = await limited.api.db.select().from(rateLimits);
        expect(rowsAfter.length - rowsBefore.length).toBe(1);
        // R itself, from its own address, renews as usual.
        const renewed = await clientFrom(limited, "198.51.100.66").agent.renew.mutate({
          agentId: agent.agentId,
          refreshToken: agent.refreshToken,
        });
        expect(renewed.refreshToken).toStartWith("rf_rt_");
      } finally {
        await limited.stop();
      }
    },
    serverStartTimeout,
  );

  test("expired counters are deleted, live ones kept", async () => {
    const rule = { limit: 10, windowSeconds: 60 };
    await consumeRateLimit(server.api.db, { key: "test-expiry:old", rule, what: "test" });
    await consumeRateLimit(server.api.db, { key: "test-expiry:live", rule, what: "test" });
    await server.api.db
      .update(rateLimits)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(rateLimits.key, "test-expiry:old"));
    expect(await deleteExpiredRateLimits(server.api.db)).toBeGreaterThanOrEqual(1);
    const left = await server.api.db
      .select({ key: rateLimits.key })
      .from(rateLimits)
      .where(like(rateLimits.key, "test-expiry:%"));
    expect(left).toEqual([{ key: "test-expiry:live" }]);
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
