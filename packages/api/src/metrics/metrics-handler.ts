import { retryAfterSeconds } from "../errors.ts";
import { errorProperties, serverLogger } from "../logging/logger.ts";
import type { ApiDependencies } from "../trpc.ts";
import { isMetricsToken } from "./metrics-token.ts";

const log = serverLogger("metrics");
const noStore = { "cache-control": "no-store" };

function refuse(message: string): Response {
  // Who was refused is the reverse proxy's business; never what credential was sent.
  log.warn("A scrape of /metrics was refused: {message}", { message });
  return new Response(`${message}\n`, {
    status: 401,
    headers: {
      ...noStore,
      "content-type": "text/plain; charset=utf-8",
      "www-authenticate": 'Bearer realm="redflag metrics"',
    },
  });
}

/**
 * `GET /metrics` for Prometheus: the metrics token (made on the settings page) as a bearer token,
 * else 401. Used by the Next route (apps/web/app/metrics/route.ts) and by tests alike.
 */
export function createMetricsHandler(api: Pick<ApiDependencies, "db" | "metrics">) {
  return async (request: Request): Promise<Response> => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
    const token = match?.[1];
    if (!token) return refuse("Send the metrics token from the settings page as “Authorization: Bearer …”");
    let accepted: boolean;
    try {
      accepted = await isMetricsToken(api.db, token);
    } catch (error) {
      log.error("Checking a metrics token failed: {message}", {
        message: error instanceof Error ? error.message : String(error),
        error: errorProperties(error),
      });
      return new Response("The database could not be reached to check the metrics token\n", {
        status: 503,
        headers: {
          ...noStore,
          "content-type": "text/plain; charset=utf-8",
          "retry-after": String(retryAfterSeconds),
        },
      });
    }
    if (!accepted) return refuse("The metrics token is not valid (it may have been regenerated or revoked)");
    const body = await api.metrics.scrape();
    return new Response(body, { headers: { ...noStore, "content-type": api.metrics.contentType } });
  };
}
