import superjson from "superjson";
import { type ApiRuntime, getApi } from "~/server/api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

async function handle(request: Request): Promise<Response> {
  let api: ApiRuntime;
  try {
    api = await getApi();
  } catch (error) {
    console.error("[redflag] The API could not start:", error);
    return apiUnavailable();
  }
  return api.handleTrpc(request);
}

/** Shaped like a tRPC error (superjson-encoded) so clients show the message. */
function apiUnavailable(): Response {
  const error = {
    message: "The server could not start its API; see the server log",
    code: -32603,
    data: { code: "INTERNAL_SERVER_ERROR", httpStatus: 503, fields: null },
  };
  return Response.json(
    { error: superjson.serialize(error) },
    { status: 503, headers: { "cache-control": "no-store" } },
  );
}

export { handle as GET, handle as POST };
