import { createMetricsHandler, errorProperties, serverLogger } from "@redflag/api";
import { getApi } from "~/server/api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Prometheus scrapes here with the metrics token made on the settings page (docs/metrics.md). */
export async function GET(request: Request): Promise<Response> {
  let api: Awaited<ReturnType<typeof getApi>>;
  try {
    api = await getApi();
  } catch (error) {
    serverLogger("metrics").error("The API could not start", { error: errorProperties(error) });
    return new Response("The server could not start its API; see the server log\n", {
      status: 503,
      headers: { "cache-control": "no-store", "content-type": "text/plain; charset=utf-8" },
    });
  }
  return createMetricsHandler(api.server)(request);
}
