import { serverEnv } from "~/env";
import { serveInstallScript } from "~/server/install-scripts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The one-line installer's script, with this server's URL filled in (src/server/install-scripts.ts). */
export async function GET(request: Request): Promise<Response> {
  const { repositoryRoot, config } = serverEnv();
  return serveInstallScript(request, "install.sh", { repositoryRoot, trustProxy: config.trustProxy });
}
