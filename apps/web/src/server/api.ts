import {
  type ApiServer,
  createTrpcHandler,
  errorProperties,
  serverLogger,
  startApiServer,
  trpcErrorResponse,
} from "@redflag/api";
import { createDatabase } from "@redflag/db";
import { TRPCError } from "@trpc/server";
import { type ServerEnv, serverEnv } from "~/env";
import { agentsDirectory } from "./download-files";

export type ApiRuntime = {
  env: ServerEnv;
  server: ApiServer;
  handleTrpc: ReturnType<typeof createTrpcHandler>;
};

// Kept on globalThis: instrumentation and each route are separate bundles, and dev reloads
// re-evaluate modules; the database (PGlite above all) must be opened once per process.
const store = globalThis as typeof globalThis & { __redflagApi?: Promise<ApiRuntime> };

/** The API of this process, started on first use (normally at boot, from instrumentation.ts). */
export function getApi(): Promise<ApiRuntime> {
  store.__redflagApi ??= startApi().catch((error: unknown) => {
    // Forget the failure so the next request tries again (e.g. Postgres was still starting).
    store.__redflagApi = undefined;
    throw error;
  });
  return store.__redflagApi;
}

/** Stops the sweeps and closes the database, if the API started (a start under way is awaited first). */
export async function stopApi(): Promise<void> {
  const starting = store.__redflagApi;
  if (!starting) return;
  const api = await starting.catch(() => null);
  if (!api) return;
  await api.server.stop();
  await api.server.handle.close();
}

async function startApi(): Promise<ApiRuntime> {
  const env = serverEnv();
  // Opened here rather than by startApiServer so that a failed start (a migration error, say)
  // closes it: the retry must not find PGlite's data directory still held by this process.
  const handle = await createDatabase(
    env.database.driver === "pglite" ? { ...env.database, durableCommits: env.durableCommits } : env.database,
  );
  let server: ApiServer;
  try {
    server = await startApiServer({
      database: handle,
      config: { ...env.config, agentsDirectory: agentsDirectory() },
      initialAdmin: env.initialAdmin,
    });
  } catch (error) {
    await handle.close().catch((closeError: unknown) => {
      serverLogger("boot").error("Closing the database after a failed start failed as well", {
        error: errorProperties(closeError),
      });
    });
    throw error;
  }
  // Failures go to the API's own log (with the request id the client was given).
  const handleTrpc = createTrpcHandler(server);
  return { env, server, handleTrpc };
}

/** What an API call gets while the API could not start (the database unreachable at boot, say). */
export function apiUnavailable(cause: unknown): Response {
  return trpcErrorResponse(
    new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: "The server could not start its API; see the server log",
      cause,
    }),
    { "cache-control": "no-store" },
  );
}
