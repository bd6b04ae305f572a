import { trpcErrorResponse } from "@redflag/api";
import { TRPCError } from "@trpc/server";
import { type ApiRuntime, getApi } from "~/server/api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

async function handle(request: Request): Promise<Response> {
  let api: ApiRuntime;
  try {
    api = await getApi();
  } catch (error) {
    console.error("[redflag] The API could not start:", error);
    return apiUnavailable(error);
  }
  return api.handleTrpc(request);
}

function apiUnavailable(cause: unknown): Response {
  return trpcErrorResponse(
    new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: "The server could not start its API; see the server log",
      cause,
    }),
    { "cache-control": "no-store" },
  );
}

export { handle as GET, handle as POST };
