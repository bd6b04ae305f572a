import { afterAll, beforeAll } from "bun:test";
import {
  type ApiServer,
  type AppRouter,
  createTrpcHandler,
  defaultRateLimits,
  type RateLimitConfig,
  startApiServer,
} from "@redflag/api";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import { createTestDatabase, migrationsFolder, type TestDatabase } from "./database.ts";

export type TestServer = {
  url: string;
  api: ApiServer;
  database: TestDatabase;
  stop: () => Promise<void>;
};

/** The first database of a run is created cold (PGlite's start takes seconds): hooks that start a server get this long. */
export const serverStartTimeout = 60_000;

/**
 * A fresh server and database for one test file: started before its tests (handed to `onStarted`),
 * stopped after them.
 */
export function useTestServer(
  onStarted: (server: TestServer) => void,
  options?: Parameters<typeof startTestServer>[0],
) {
  let started: TestServer | undefined;
  beforeAll(async () => {
    started = await startTestServer(options);
    onStarted(started);
  }, serverStartTimeout);
  afterAll(async () => {
    await started?.stop();
  });
}

export const testSecret = "test-secret-that-is-long-enough-0123456789";

/** The real API handler on a real HTTP port, over a fresh database. */
export async function startTestServer(
  options: {
    rateLimits?: Partial<RateLimitConfig>;
    maxBodyBytes?: number;
    agentsDirectory?: string;
    /** The time scheduled jobs see; the scheduler never ticks on its own here (tests call `api.scheduler.tick()`). */
    clock?: () => Date;
  } = {},
): Promise<TestServer> {
  const database = await createTestDatabase();
  const api = await startApiServer({
    database: database.handle,
    config: {
      version: "0.0.0-test",
      secret: testSecret,
      debug: false,
      maxBodyBytes: options.maxBodyBytes ?? 5 * 1024 * 1024,
      migrationsFolder,
      rateLimits: { ...defaultRateLimits, ...options.rateLimits },
      trustProxy: false,
      agentsDirectory: options.agentsDirectory ?? null,
    },
    leaseSweepIntervalMs: 0,
    schedulerIntervalMs: 0,
    clock: options.clock,
  });
  const handler = createTrpcHandler(api, {
    onInternalError: (error) => console.error("internal error in test server:", error),
  });
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request, bunServer) {
      // What a front server does: the peer address as the last X-Forwarded-For hop.
      const headers = new Headers(request.headers);
      const peer = bunServer.requestIP(request)?.address ?? "unknown";
      headers.set(
        "x-forwarded-for",
        [request.headers.get("x-forwarded-for"), peer].filter(Boolean).join(", "),
      );
      return handler(new Request(request, { headers }));
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    api,
    database,
    async stop() {
      await server.stop(true);
      await api.stop();
      await database.cleanup();
    },
  };
}

export type Credentials = { cookie?: string; token?: string };

/** A typed client as a script or the dashboard would use it. */
export function apiClient(url: string, credentials: Credentials = {}) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${url}/api/trpc`,
        transformer: superjson,
        headers: () => ({
          // A browser sends its page's Origin with every POST; cookie-authenticated changes need it.
          ...(credentials.cookie ? { cookie: credentials.cookie, origin: new URL(url).origin } : {}),
          ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}),
        }),
      }),
    ],
  });
}

export type ApiClient = ReturnType<typeof apiClient>;

/** The tRPC error code of a failed call (UNAUTHORIZED, NOT_FOUND, …), or a failure if it did not fail. */
export async function errorCodeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCClientError) {
      const data = error.data as { code?: string } | undefined;
      return data?.code ?? "UNKNOWN";
    }
    throw error;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** Calls a procedure over plain HTTP, as any client would, and returns status and parsed body. */
export async function rawCall(
  url: string,
  path: string,
  options: { type: "query" | "mutation"; input?: unknown; headers?: Record<string, string>; body?: string },
) {
  const serialized = JSON.stringify(superjson.serialize(options.input));
  const response =
    options.type === "query"
      ? await fetch(`${url}/api/trpc/${path}?input=${encodeURIComponent(serialized)}`, {
          headers: options.headers,
        })
      : await fetch(`${url}/api/trpc/${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...options.headers },
          body: options.body ?? serialized,
        });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body, headers: response.headers };
}
