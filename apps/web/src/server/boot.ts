import { createServerCaller } from "@redflag/api";
import { InvalidEnvironmentError, type ServerEnv, serverEnv } from "~/env";
import { type ApiRuntime, getApi } from "~/server/api";
import { installForwardedForGuard } from "~/server/forwarded-for";

/** Starts the API (migrations, first admin) before the first request and says how to reach it. */
export async function startAtBoot(): Promise<void> {
  let env: ServerEnv;
  try {
    env = serverEnv();
  } catch (error) {
    if (!(error instanceof InvalidEnvironmentError)) throw error;
    // Configuration will not fix itself: stop now rather than serve errors.
    console.error(`[redflag] ${error.message}`);
    process.exit(1);
  }
  installForwardedForGuard({ trustProxy: env.config.trustProxy });

  let api: ApiRuntime;
  try {
    api = await getApi();
  } catch (error) {
    // A database that is not up yet may be soon: requests retry, /api/health answers 503 meanwhile.
    console.error(`[redflag] Could not start the API (${env.databaseLocation}); requests will retry:`, error);
    return;
  }
  const baseUrl = `http://localhost:${env.port}`;
  const login = env.initialAdmin
    ? `log in as ${env.initialAdmin.username} at ${baseUrl}/login`
    : (await needsSetup(api))
      ? `open ${baseUrl}/setup to create the first admin`
      : `log in at ${baseUrl}/login`;
  console.log(
    `[redflag] RedFlag ${env.config.version} on ${baseUrl} — database: ${env.databaseLocation} — ${login}`,
  );
}

/** Asked through the public API, like the setup page does. */
async function needsSetup(api: ApiRuntime): Promise<boolean> {
  const { needsSetup } = await createServerCaller(api.server).auth.setupStatus();
  return needsSetup;
}
