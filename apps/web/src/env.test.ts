import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { defaultRateLimits } from "@redflag/api";
import { parseServerEnv } from "./env.ts";

const workingDirectory = import.meta.dir;
const repositoryRoot = join(import.meta.dir, "..", "..", "..");

describe("parseServerEnv", () => {
  test("defaults: port 8080, PGlite in ./data at the repository root, no admin", () => {
    const env = parseServerEnv({}, { workingDirectory });
    expect(env.port).toBe(8080);
    expect(env.repositoryRoot).toBe(repositoryRoot);
    expect(env.database).toEqual({ driver: "pglite", dataDir: join(repositoryRoot, "data") });
    expect(env.initialAdmin).toBeNull();
    expect(env.config.secret).toBeNull();
    expect(env.config.debug).toBe(false);
    expect(env.config.trustProxy).toBe(false);
    expect(env.config.maxBodyBytes).toBe(5 * 1024 * 1024);
    expect(env.config.rateLimits).toEqual(defaultRateLimits);
    expect(env.config.migrationsFolder).toBe(join(repositoryRoot, "drizzle"));
  });

  test("DATABASE_URL selects Postgres and the log line hides the password", () => {
    const env = parseServerEnv(
      { DATABASE_URL: "postgres://redflag:hunter2@db:5432/redflag" },
      { workingDirectory },
    );
    expect(env.database).toEqual({ driver: "postgres", url: "postgres://redflag:hunter2@db:5432/redflag" });
    expect(env.databaseLocation).toBe("Postgres at db:5432/redflag");
  });

  test("blank values count as unset", () => {
    const env = parseServerEnv({ DATABASE_URL: "", REDFLAG_SECRET: "", PORT: "" }, { workingDirectory });
    expect(env.database.driver).toBe("pglite");
    expect(env.port).toBe(8080);
  });

  test("reads flags, admin, body limit and scales every rate limit", () => {
    const env = parseServerEnv(
      {
        PORT: "9000",
        REDFLAG_DATA_DIR: "/var/lib/redflag",
        REDFLAG_SECRET: "x".repeat(32),
        REDFLAG_DEBUG: "true",
        REDFLAG_TRUST_PROXY: "TRUE",
        REDFLAG_ADMIN_USER: "root",
        REDFLAG_ADMIN_PASSWORD: "long-enough-password",
        REDFLAG_MAX_BODY_BYTES: "1024",
        REDFLAG_RATE_LIMIT_MULTIPLIER: "100",
      },
      { workingDirectory },
    );
    expect(env.port).toBe(9000);
    expect(env.database).toEqual({ driver: "pglite", dataDir: "/var/lib/redflag" });
    expect(env.config.secret).toBe("x".repeat(32));
    expect(env.config.debug).toBe(true);
    expect(env.config.trustProxy).toBe(true);
    expect(env.initialAdmin).toEqual({ username: "root", password: "long-enough-password" });
    expect(env.config.maxBodyBytes).toBe(1024);
    expect(env.config.rateLimits.loginFailuresPerUserAndAddress).toEqual({
      limit: defaultRateLimits.loginFailuresPerUserAndAddress.limit * 100,
      windowSeconds: defaultRateLimits.loginFailuresPerUserAndAddress.windowSeconds,
    });
  });

  test("names every bad variable in one error", () => {
    expect(() =>
      parseServerEnv(
        {
          PORT: "eighty",
          DATABASE_URL: "mysql://db",
          REDFLAG_SECRET: "short",
          REDFLAG_DEBUG: "yes",
          REDFLAG_ADMIN_USER: "root",
          REDFLAG_RATE_LIMIT_MULTIPLIER: "0",
        },
        { workingDirectory },
      ),
    ).toThrow(
      /PORT: .*\n.*DATABASE_URL: .*\n.*REDFLAG_SECRET: .*\n.*REDFLAG_DEBUG: .*\n.*REDFLAG_RATE_LIMIT_MULTIPLIER: .*\n.*REDFLAG_ADMIN_PASSWORD: set REDFLAG_ADMIN_USER and REDFLAG_ADMIN_PASSWORD together/,
    );
  });

  test("refuses to start outside the repository", () => {
    expect(() => parseServerEnv({}, { workingDirectory: "/" })).toThrow(/drizzle\/meta\/_journal.json/);
  });
});
