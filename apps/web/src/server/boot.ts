import { configureServerLogging, createServerCaller, errorProperties, serverLogger } from "@redflag/api";
import { isDataDirectoryLockedError } from "@redflag/db";
import { InvalidEnvironmentError, type ServerEnv, serverEnv } from "~/env";
import { installAgentFastPath } from "~/server/agent-fast-path";
import { type ApiRuntime, getApi, stopApi } from "~/server/api";
import { installCompressedDownloads } from "~/server/compressed-downloads";
import { installForwardedForGuard } from "~/server/forwarded-for";
import { installGracefulShutdown } from "~/server/shutdown";

/** PGlite's close writes a checkpoint; past this the process exits anyway and the next start recovers. */
const databaseCloseTimeoutMs = 5_000;

const log = serverLogger("boot");

/** Starts the API (migrations, first admin) before the first request and says how to reach it. */
export async function startAtBoot(): Promise<void> {
  let env: ServerEnv;
  try {
    env = serverEnv();
  } catch (error) {
    if (!(error instanceof InvalidEnvironmentError)) throw error;
    // Configuration will not fix itself: stop now rather than serve errors.
    configureServerLogging();
    log.fatal("{message}", { message: error.message });
    process.exit(1);
  }
  configureServerLogging(env.logFormat ? { format: env.logFormat } : {});
  // Innermost first: the shutdown guard and the address rewrite see every request, downloads and
  // agents' calls included.
  installAgentFastPath();
  installCompressedDownloads();
  installForwardedForGuard({ trustProxy: env.config.trustProxy });
  installGracefulShutdown({
    graceMs: env.shutdownGraceMs,
    closeTimeoutMs: databaseCloseTimeoutMs,
    stopApi,
  });

  let api: ApiRuntime;
  try {
    api = await getApi();
  } catch (error) {
    if (isDataDirectoryLockedError(error)) {
      // Another server owns the embedded database: serving beside it would split the data in two.
      log.fatal("{message}", { message: error.message });
      process.exit(1);
    }
    // A database that is not up yet may be soon: requests retry, /api/health answers 503 meanwhile.
    log.error("Could not start the API ({database}); requests will retry", {
      database: env.databaseLocation,
      error: errorProperties(error),
    });
    return;
  }
  if (api.server.handle.lastShutdown === "crash") {
    log.warn(
      "The embedded database was not closed cleanly last time (killed, or the machine stopped); PostgreSQL replayed its write-ahead log.",
    );
  }
  const baseUrl = `http://localhost:${env.port}`;
  const login = env.initialAdmin
    ? `log in as ${env.initialAdmin.username} at ${baseUrl}/login`
    : (await needsSetup(api))
      ? `open ${baseUrl}/setup to create the first admin`
      : `log in at ${baseUrl}/login`;
  log.info("RedFlag {version} on {url} — database: {database} — {login}", {
    version: env.config.version,
    url: baseUrl,
    database: env.databaseLocation,
    login,
  });
}

/** Asked through the public API, like the setup page does. */
async function needsSetup(api: ApiRuntime): Promise<boolean> {
  const { needsSetup } = await createServerCaller(api.server).auth.setupStatus();
  return needsSetup;
}
