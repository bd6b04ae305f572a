import { createRestHandler } from "@redflag/api";
import { type ApiRuntime, apiUnavailable, getApi } from "~/server/api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// One REST handler per started API (getApi starts it again after a failed start).
const handlers = new WeakMap<ApiRuntime, ReturnType<typeof createRestHandler>>();

async function handle(request: Request): Promise<Response> {
  let api: ApiRuntime;
  try {
    api = await getApi();
  } catch (error) {
    console.error("[redflag] The API could not start:", error);
    return apiUnavailable(error);
  }
  let handler = handlers.get(api);
  if (!handler) {
    handler = createRestHandler(api.server);
    handlers.set(api, handler);
  }
  return handler(request);
}

export { handle as DELETE, handle as GET, handle as PATCH, handle as POST, handle as PUT };
