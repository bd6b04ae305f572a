import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  defaultLongPollSeconds,
  defaultRateLimits,
  type RateLimitConfig,
  type StartOptions,
} from "@redflag/api";
import { maxLongPollSeconds } from "@redflag/contracts";
import { locateMigrationsFolder } from "@redflag/db";
import { z } from "zod";

/**
 * The server's environment, validated once. This is the only module of the web app that reads
 * `process.env` (Next's own NEXT_RUNTIME check in instrumentation.ts aside).
 */
export type ServerEnv = {
  port: number;
  repositoryRoot: string;
  database: { driver: "postgres"; url: string } | { driver: "pglite"; dataDir: string };
  /** Embedded database only: commits wait until they are on disk (REDFLAG_DURABLE_COMMITS, default true). */
  durableCommits: boolean;
  /** Where the data lives, for people reading the log: never contains a password. */
  databaseLocation: string;
  initialAdmin: { username: string; password: string } | null;
  config: StartOptions["config"];
  /** On SIGTERM/SIGINT: how long requests under way may take before the database is closed. */
  shutdownGraceMs: number;
  /** REDFLAG_LOG_FORMAT; null: JSON lines, readable on a terminal. */
  logFormat: "json" | "pretty" | null;
};

const defaultMaxBodyBytes = 5 * 1024 * 1024;
const defaultVersion = "0.1.0";

// Blank values (`FOO=` in a compose file) mean "not set".
const optionalText = z.preprocess((value) => (value === "" ? undefined : value), z.string().optional());

function booleanFlagDefault(defaultValue: "true" | "false") {
  return z.preprocess(
    (value) => (value === "" ? undefined : typeof value === "string" ? value.toLowerCase() : value),
    z.enum(["true", "false"], { error: "must be true or false" }).default(defaultValue),
  );
}

const booleanFlag = booleanFlagDefault("false");

function positiveInteger(defaultValue: number) {
  return z.preprocess(
    (value) => (value === undefined || value === "" ? defaultValue : Number(value)),
    z
      .number({ error: "must be a number" })
      .int({ error: "must be a whole number" })
      .positive({ error: "must be positive" }),
  );
}

const environmentSchema = z.object({
  PORT: positiveInteger(8080).pipe(z.number().max(65_535, { error: "must be a port number (1-65535)" })),
  DATABASE_URL: optionalText.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, { error: "must be a postgres:// or postgresql:// URL" })
      .optional(),
  ),
  REDFLAG_DATA_DIR: optionalText,
  /** Embedded database: commits wait for fsync (default). `false` is faster but may lose the last commits on power loss. */
  REDFLAG_DURABLE_COMMITS: booleanFlagDefault("true"),
  REDFLAG_SHUTDOWN_GRACE_SECONDS: positiveInteger(5),
  REDFLAG_SECRET: optionalText.pipe(
    z.string().min(32, { error: "must be at least 32 characters (or leave it unset)" }).optional(),
  ),
  /** Base64 of a 32-byte Ed25519 seed (`openssl rand -base64 32`); unset: generated once, kept in the database. */
  REDFLAG_SIGNING_KEY: optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9+/]{43}=$/, {
        error:
          "must be the base64 of a 32-byte Ed25519 seed, e.g. from `openssl rand -base64 32` (or leave it unset)",
      })
      .optional(),
  ),
  REDFLAG_DEBUG: booleanFlag,
  /** Server log lines: JSON (the default) or a readable layout; unset: readable on a terminal. */
  REDFLAG_LOG_FORMAT: optionalText.pipe(
    z.enum(["json", "pretty"], { error: "must be json or pretty" }).optional(),
  ),
  REDFLAG_ADMIN_USER: optionalText,
  REDFLAG_ADMIN_PASSWORD: optionalText,
  REDFLAG_TRUST_PROXY: booleanFlag,
  REDFLAG_MAX_BODY_BYTES: positiveInteger(defaultMaxBodyBytes),
  /** Longest hold of an agent's long-poll check-in, in seconds; 0 turns long polls off (agents poll). */
  REDFLAG_LONG_POLL_SECONDS: z.preprocess(
    (value) => (value === undefined || value === "" ? defaultLongPollSeconds : Number(value)),
    z
      .number({ error: "must be a number" })
      .int({ error: "must be a whole number" })
      .min(0, { error: "must be 0 (off) or more" })
      .max(maxLongPollSeconds, { error: `must be at most ${maxLongPollSeconds}` }),
  ),
  REDFLAG_RATE_LIMIT_MULTIPLIER: z.preprocess(
    (value) => (value === undefined || value === "" ? undefined : Number(value)),
    z
      .number({ error: "must be a number" })
      .positive({ error: "must be a positive number" })
      .refine(Number.isFinite, { error: "must be a finite number" })
      .optional(),
  ),
});

export class InvalidEnvironmentError extends Error {
  override name = "InvalidEnvironmentError";
}

/** Reads and checks the environment; `workingDirectory` is where the search for the repository root starts. */
export function parseServerEnv(
  source: Record<string, string | undefined>,
  options: { workingDirectory: string },
): ServerEnv {
  const parsed = environmentSchema.safeParse(source);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join(".") || "(environment)"}: ${issue.message}`);
  // Checked apart from the schema so that it is reported together with any other problem.
  const hasAdminUser = Boolean(source.REDFLAG_ADMIN_USER);
  if (hasAdminUser !== Boolean(source.REDFLAG_ADMIN_PASSWORD)) {
    const missing = hasAdminUser ? "REDFLAG_ADMIN_PASSWORD" : "REDFLAG_ADMIN_USER";
    problems.push(`${missing}: set REDFLAG_ADMIN_USER and REDFLAG_ADMIN_PASSWORD together, or neither`);
  }
  if (!parsed.success || problems.length > 0) {
    const lines = problems.map((problem) => `  ${problem}`).join("\n");
    throw new InvalidEnvironmentError(`Invalid server environment:\n${lines}`);
  }
  const environment = parsed.data;
  const migrationsFolder = findMigrationsFolder(options.workingDirectory);
  const repositoryRoot = dirname(migrationsFolder);

  let database: ServerEnv["database"];
  let databaseLocation: string;
  if (environment.DATABASE_URL) {
    database = { driver: "postgres", url: environment.DATABASE_URL };
    databaseLocation = `Postgres at ${describePostgresUrl(environment.DATABASE_URL)}`;
  } else {
    // Relative to the repository, not to apps/web where `next start` runs.
    const dataDir = resolve(repositoryRoot, environment.REDFLAG_DATA_DIR ?? "./data");
    database = { driver: "pglite", dataDir };
    databaseLocation = `embedded PGlite in ${dataDir}`;
  }

  const { REDFLAG_ADMIN_USER: username, REDFLAG_ADMIN_PASSWORD: password } = environment;
  return {
    port: environment.PORT,
    repositoryRoot,
    database,
    databaseLocation,
    initialAdmin: username !== undefined && password !== undefined ? { username, password } : null,
    config: {
      version: readVersion(repositoryRoot),
      secret: environment.REDFLAG_SECRET ?? null,
      signingKey: environment.REDFLAG_SIGNING_KEY ?? null,
      debug: environment.REDFLAG_DEBUG === "true",
      maxBodyBytes: environment.REDFLAG_MAX_BODY_BYTES,
      migrationsFolder,
      rateLimits: scaleRateLimits(defaultRateLimits, environment.REDFLAG_RATE_LIMIT_MULTIPLIER ?? 1),
      trustProxy: environment.REDFLAG_TRUST_PROXY === "true",
      longPollSeconds: environment.REDFLAG_LONG_POLL_SECONDS,
    },
    durableCommits: environment.REDFLAG_DURABLE_COMMITS === "true",
    logFormat: environment.REDFLAG_LOG_FORMAT ?? null,
    shutdownGraceMs: environment.REDFLAG_SHUTDOWN_GRACE_SECONDS * 1000,
  };
}

let cached: ServerEnv | undefined;

/** The process environment, parsed on first use and kept. */
export function serverEnv(): ServerEnv {
  cached ??= parseServerEnv(process.env, { workingDirectory: process.cwd() });
  return cached;
}

export function scaleRateLimits(limits: RateLimitConfig, multiplier: number): RateLimitConfig {
  if (multiplier === 1) return limits;
  const scaled: Partial<RateLimitConfig> = {};
  for (const [name, rule] of Object.entries(limits) as [
    keyof RateLimitConfig,
    RateLimitConfig[keyof RateLimitConfig],
  ][]) {
    scaled[name] = { ...rule, limit: Math.max(1, Math.ceil(rule.limit * multiplier)) };
  }
  return scaled as RateLimitConfig;
}

function findMigrationsFolder(workingDirectory: string): string {
  try {
    return locateMigrationsFolder(workingDirectory);
  } catch (cause) {
    throw new InvalidEnvironmentError(
      `Cannot find the RedFlag repository root (the folder holding drizzle/meta/_journal.json) above ${workingDirectory}; start the server from inside the repository`,
      { cause },
    );
  }
}

function readVersion(repositoryRoot: string): string {
  try {
    const manifest: unknown = JSON.parse(readFileSync(join(repositoryRoot, "package.json"), "utf8"));
    if (
      manifest &&
      typeof manifest === "object" &&
      "version" in manifest &&
      typeof manifest.version === "string"
    ) {
      return manifest.version;
    }
  } catch {
    // No readable manifest: fall through to the default version.
  }
  return defaultVersion;
}

function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}${parsed.port ? `:${parsed.port}` : ""}${parsed.pathname}`;
  } catch {
    return "the DATABASE_URL";
  }
}
