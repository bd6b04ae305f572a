import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createUser } from "@redflag/api/services/users/create-user.ts";
import { sql } from "drizzle-orm";
import { clientFrom } from "./harness/addresses.ts";
import { errorCodeOf, serverStartTimeout, startTestServer, type TestServer } from "./harness/server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    rateLimits: {
      loginFailuresPerUserAndAddress: { limit: 3, windowSeconds: 900 },
      loginFailuresPerAddress: { limit: 6, windowSeconds: 900 },
    },
  });
}, serverStartTimeout);
afterAll(async () => {
  await server.stop();
});

const password = "correct horse battery staple";
let counter = 0;
async function newUser() {
  counter++;
  const username = `owner-${counter}`;
  await createUser(server.api.db, { actor: { type: "system" }, username, password, role: "admin" });
  return username;
}

function logIn(address: string, username: string, attempt: string) {
  return clientFrom(server, address).auth.login.mutate({ username, password: attempt });
}

/** Lets `seconds` pass for every backoff counter, instead of sleeping. */
async function letTimePass(seconds: number) {
  await server.api.db.execute(
    sql`update rate_limits set window_started_at = window_started_at - make_interval(secs => ${seconds})`,
  );
}

describe("login backoff", () => {
  test("the owner logs in from another address while a brute force runs", async () => {
    const owner = await newUser();
    const codes: string[] = [];
    for (let attempt = 0; attempt < 12; attempt++) {
      codes.push(await errorCodeOf(logIn("203.0.113.7", owner, `guess ${attempt}`)));
    }
    expect(codes.slice(0, 3)).toEqual(["UNAUTHORIZED", "UNAUTHORIZED", "UNAUTHORIZED"]);
    expect(codes.slice(3)).toEqual(Array(9).fill("TOO_MANY_REQUESTS"));
    // The attacker's address waits, even with the right password; the owner's address does not.
    expect(await errorCodeOf(logIn("203.0.113.7", owner, password))).toBe("TOO_MANY_REQUESTS");
    expect(await logIn("198.51.100.2", owner, password)).toMatchObject({ username: owner });
    // A typo of the owner's own costs nothing either.
    expect(await errorCodeOf(logIn("198.51.100.2", owner, "typo"))).toBe("UNAUTHORIZED");
    expect(await logIn("198.51.100.2", owner, password)).toMatchObject({ username: owner });
  });

  test("the wait doubles after each further failure, and ends", async () => {
    const owner = await newUser();
    const address = "203.0.113.20";
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(await errorCodeOf(logIn(address, owner, "wrong"))).toBe("UNAUTHORIZED");
    }
    const waits: string[] = [];
    for (const seconds of [1, 2, 4]) {
      const refused = await logIn(address, owner, "wrong").catch((error: Error) => error);
      waits.push((refused as Error).message);
      await letTimePass(seconds);
      expect(await errorCodeOf(logIn(address, owner, "wrong"))).toBe("UNAUTHORIZED");
    }
    expect(waits).toEqual(
      [1, 2, 4].map((seconds) => `Too many failed logins from this address; try again in ${seconds} seconds`),
    );
    await letTimePass(8);
    expect(await logIn(address, owner, password)).toMatchObject({ username: owner });
  });

  test("a correct password forgets that user's failures from that address", async () => {
    const owner = await newUser();
    const address = "203.0.113.25";
    const codes: string[] = [];
    for (const attempt of ["wrong", "wrong", password, "wrong", "wrong", "wrong", "wrong"]) {
      codes.push(
        await logIn(address, owner, attempt).then(
          () => "OK",
          (error) => errorCodeOf(Promise.reject(error)),
        ),
      );
    }
    expect(codes).toEqual([
      "UNAUTHORIZED",
      "UNAUTHORIZED",
      "OK",
      "UNAUTHORIZED",
      "UNAUTHORIZED",
      "UNAUTHORIZED",
      "TOO_MANY_REQUESTS",
    ]);
  });

  test("an unknown username and a wrong password are answered and slowed down alike", async () => {
    const owner = await newUser();
    const messages = async (username: string, address: string) => {
      const seen: string[] = [];
      for (let attempt = 0; attempt < 5; attempt++) {
        seen.push(
          ((await logIn(address, username, "wrong").catch((error: Error) => error)) as Error).message,
        );
      }
      return seen;
    };
    expect(await messages(owner, "203.0.113.30")).toEqual(await messages("nobody-at-all", "203.0.113.31"));
  });

  test("one address spraying many usernames is slowed down, other addresses are not", async () => {
    const owner = await newUser();
    const address = "203.0.113.40";
    for (let attempt = 0; attempt < 6; attempt++) {
      expect(await errorCodeOf(logIn(address, `sprayed-${attempt}`, "Winter2026!"))).toBe("UNAUTHORIZED");
    }
    expect(await errorCodeOf(logIn(address, "sprayed-next", "Winter2026!"))).toBe("TOO_MANY_REQUESTS");
    expect(await errorCodeOf(logIn(address, owner, password))).toBe("TOO_MANY_REQUESTS");
    expect(await logIn("198.51.100.40", owner, password)).toMatchObject({ username: owner });
  });

  test("parallel guesses cannot slip past the backoff", async () => {
    const owner = await newUser();
    const codes = await Promise.all(
      Array.from({ length: 15 }, (_, attempt) =>
        errorCodeOf(logIn("203.0.113.50", owner, `guess ${attempt}`)),
      ),
    );
    expect(codes.filter((code) => code === "UNAUTHORIZED").length).toBe(3);
    expect(codes.filter((code) => code === "TOO_MANY_REQUESTS").length).toBe(12);
  });

  test("successful logins from one address do not add up to a wait", async () => {
    const owner = await newUser();
    for (let attempt = 0; attempt < 10; attempt++) {
      expect(await logIn("198.51.100.60", owner, password)).toMatchObject({ username: owner });
    }
  });
});
