import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sessions } from "@redflag/db";
import { sql } from "drizzle-orm";
import { clientFrom } from "./harness/addresses.ts";
import { migrationsFolder } from "./harness/database.ts";
import { signIn } from "./harness/fixtures.ts";
import { apiClient, errorCodeOf, rawCall, type TestServer, useTestServer } from "./harness/server.ts";

let server: TestServer;
useTestServer(
  (started) => {
    server = started;
  },
  { rateLimits: { loginFailuresPerUserAndAddress: { limit: 3, windowSeconds: 300 } } },
);

describe("admin sessions", () => {
  test("first-run setup works once, sets a session cookie, then is refused", async () => {
    const anonymous = apiClient(server.url);
    expect(await anonymous.auth.setupStatus.query()).toEqual({ needsSetup: true });
    const setup = await rawCall(server.url, "auth.setup", {
      type: "mutation",
      input: { username: "root-admin", password: "a long enough password" },
    });
    expect(setup.status).toBe(200);
    const cookieHeader = setup.headers.get("set-cookie") ?? "";
    expect(cookieHeader).toContain("rf_session=");
    expect(cookieHeader).toContain("HttpOnly");
    expect(cookieHeader).toContain("SameSite=Lax");
    expect(cookieHeader).not.toContain("Secure");
    const cookie = cookieHeader.split(";")[0] as string;
    expect(await apiClient(server.url, { cookie }).auth.me.query()).toMatchObject({
      username: "root-admin",
      role: "admin",
    });
    expect(await anonymous.auth.setupStatus.query()).toEqual({ needsSetup: false });
    expect(
      await errorCodeOf(
        anonymous.auth.setup.mutate({ username: "second", password: "another long password" }),
      ),
    ).toBe("FORBIDDEN");
  });

  test("expired sessions are deleted by the server's sweep; live ones stay", async () => {
    const expired = await signIn(server, "viewer");
    const live = await signIn(server, "viewer");
    const idOf = (cookie: string) =>
      createHash("sha256")
        .update(cookie.replace(/^rf_session=/, ""))
        .digest("hex");
    const expiredId = idOf(expired.cookie);
    await server.api.db.execute(
      sql`update sessions set expires_at = now() - interval '1 minute' where id = ${expiredId}`,
    );
    await server.api.sessions.plain.deleteExpired();
    const remaining = (await server.api.db.select({ id: sessions.id }).from(sessions)).map((row) => row.id);
    expect(remaining).not.toContain(expiredId);
    expect(remaining).toContain(idOf(live.cookie));
    expect(await live.client.auth.me.query()).toMatchObject({ username: live.username });
  });

  test("login with the wrong password is refused the same way as an unknown user", async () => {
    const user = await signIn(server, "viewer");
    const anonymous = apiClient(server.url);
    const wrong = await anonymous.auth.login
      .mutate({ username: user.username, password: "wrong password!" })
      .catch((error) => error);
    const unknown = await anonymous.auth.login
      .mutate({ username: "nobody-here", password: "wrong password!" })
      .catch((error) => error);
    expect(wrong.message).toBe("Wrong username or password");
    expect(unknown.message).toBe(wrong.message);
  });

  test("failed logins slow down their address, never the owner elsewhere", async () => {
    const user = await signIn(server, "viewer");
    const anonymous = apiClient(server.url);
    const codes: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      codes.push(
        await errorCodeOf(
          anonymous.auth.login.mutate({ username: user.username, password: "wrong password!" }),
        ),
      );
    }
    // signIn's successful login counts for nothing; three failures are free, then the address waits.
    expect(codes).toEqual([
      "UNAUTHORIZED",
      "UNAUTHORIZED",
      "UNAUTHORIZED",
      "TOO_MANY_REQUESTS",
      "TOO_MANY_REQUESTS",
    ]);
    expect(
      await errorCodeOf(anonymous.auth.login.mutate({ username: user.username, password: user.password })),
    ).toBe("TOO_MANY_REQUESTS");
    expect(
      await clientFrom(server, "198.51.100.9").auth.login.mutate({
        username: user.username,
        password: user.password,
      }),
    ).toMatchObject({ username: user.username });
  });

  test("the sessions table holds only the SHA-256 of the cookie's token", async () => {
    const user = await signIn(server, "viewer");
    const token = user.cookie.slice("rf_session=".length);
    expect(token.length).toBeGreaterThanOrEqual(40);
    const ids = (await server.api.db.select({ id: sessions.id }).from(sessions)).map((row) => row.id);
    expect(ids).not.toContain(token);
    expect(ids.some((id) => id.includes(token) || token.includes(id))).toBe(false);
    expect(ids).toContain(createHash("sha256").update(token).digest("hex"));
    await user.client.auth.logout.mutate();
    expect(
      (await server.api.db.select({ id: sessions.id }).from(sessions)).map((row) => row.id),
    ).not.toContain(createHash("sha256").update(token).digest("hex"));
  });

  test("a session stored by its token before the migration still works after it", async () => {
    const user = await signIn(server, "viewer");
    const me = await user.client.auth.me.query();
    const token = "legacysessiontokenwrittenbylucia0000000000";
    const expiresAt = new Date(Date.now() + 24 * 3600 * 1000);
    const migration = readFileSync(join(migrationsFolder, "0006_session_hashes.sql"), "utf8");
    await server.api.db.transaction(async (tx) => {
      // Only the old row goes through the migration: the others are hashed already.
      await tx.execute(sql`create temporary table kept_sessions on commit drop as select * from sessions`);
      await tx.execute(sql`delete from sessions`);
      await tx.insert(sessions).values({ id: token, userId: me.id, expiresAt });
      await tx.execute(sql.raw(migration));
      await tx.execute(sql`insert into sessions select * from kept_sessions`);
    });
    const legacy = apiClient(server.url, { cookie: `rf_session=${token}` });
    expect(await legacy.auth.me.query()).toMatchObject({ username: user.username });
  });

  test("a cookie-authenticated change needs an Origin of the same scheme, host and port", async () => {
    const admin = await signIn(server, "admin");
    const { protocol, hostname, port } = new URL(server.url);
    const change = (headers: Record<string, string>) =>
      rawCall(server.url, "settings.set", {
        type: "mutation",
        input: { key: "defaultPollIntervalSeconds", value: 300 },
        headers: { cookie: admin.cookie, ...headers },
      });
    expect((await change({ origin: `${protocol}//${hostname}:${port}` })).status).toBe(200);
    expect((await change({ origin: `https://${hostname}:${port}` })).status).toBe(403);
    expect((await change({ origin: `${protocol}//${hostname}:${Number(port) + 1}` })).status).toBe(403);
    expect((await change({ origin: `${protocol}//${hostname}` })).status).toBe(403);
    expect((await change({ origin: "null" })).status).toBe(403);
    const missing = await change({});
    expect(missing.status).toBe(403);
    expect(JSON.stringify(missing.body)).toContain("Origin header");
    // Reading needs no Origin, and an API token (never sent by a browser) needs none for changes.
    expect((await apiClient(server.url, { cookie: admin.cookie }).auth.me.query()).role).toBe("admin");
    const created = await admin.client.apiTokens.create.mutate({ name: "script", role: "admin" });
    const script = await rawCall(server.url, "settings.set", {
      type: "mutation",
      input: { key: "defaultPollIntervalSeconds", value: 300 },
      headers: { authorization: `Bearer ${created.token}` },
    });
    expect(script.status).toBe(200);
  });

  test("logout ends the session", async () => {
    const user = await signIn(server, "viewer");
    await user.client.auth.logout.mutate();
    expect(await errorCodeOf(user.client.auth.me.query())).toBe("UNAUTHORIZED");
  });

  test("a disabled user's sessions stop working; the last admin cannot be demoted", async () => {
    const admin = await signIn(server, "admin");
    const viewer = await signIn(server, "viewer");
    const users = await admin.client.users.list.query();
    const viewerRow = users.find((row) => row.username === viewer.username);
    if (!viewerRow) throw new Error("viewer missing");
    await admin.client.users.update.mutate({ userId: viewerRow.id, disabled: true });
    expect(await errorCodeOf(viewer.client.auth.me.query())).toBe("UNAUTHORIZED");
    for (const row of users.filter(
      (candidate) => candidate.role === "admin" && candidate.username !== admin.username,
    )) {
      await admin.client.users.update.mutate({ userId: row.id, disabled: true });
    }
    const me = (await admin.client.users.list.query()).find((row) => row.username === admin.username);
    if (!me) throw new Error("admin missing");
    expect(await errorCodeOf(admin.client.users.update.mutate({ userId: me.id, role: "viewer" }))).toBe(
      "CONFLICT",
    );
  });

  test("settings persist and are validated", async () => {
    const admin = await signIn(server, "admin");
    await admin.client.settings.set.mutate({ key: "defaultPollIntervalSeconds", value: 120 });
    expect((await admin.client.settings.get.query()).defaultPollIntervalSeconds).toBe(120);
    expect(
      await errorCodeOf(admin.client.settings.set.mutate({ key: "defaultPollIntervalSeconds", value: 1 })),
    ).toBe("BAD_REQUEST");
    expect((await admin.client.settings.get.query()).defaultPollIntervalSeconds).toBe(120);
    const health = await admin.client.health.get.query();
    expect(health.database.reachable).toBe(true);
    expect(health.migrations?.applied).toBe(health.migrations?.available);
    expect(health.version).toBe("0.0.0-test");
  });
});
