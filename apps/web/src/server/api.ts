import { type ApiServer, createTrpcHandler, startApiServer } from "@redflag/api";
import { type ServerEnv, serverEnv } from "~/env";

export type ApiRuntime = {
  env: ServerEnv;
  server: ApiServer;
  handleTrpc: (request: Request) => Promise<Response>;
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

async function startApi(): Promise<ApiRuntime> {
  const env = serverEnv();
  const server = await startApiServer({
    database: env.database,
    config: env.config,
    initialAdmin: env.initialAdmin,
  });
  const handleTrpc = createTrpcHandler(server, {
    onInternalError: (error) => console.error("[redflag] Internal error while serving /api/trpc:", error),
  });
  return { env, server, handleTrpc };
}
