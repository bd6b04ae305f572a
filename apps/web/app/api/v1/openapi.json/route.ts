import { restOpenApiDocument } from "@redflag/api";
import { serverEnv } from "~/env";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The OpenAPI 3.1 document of /api/v1; public, like the routes' list in any API reference. */
export function GET(): Response {
  return Response.json(restOpenApiDocument(serverEnv().config.version), {
    headers: { "cache-control": "no-cache" },
  });
}
