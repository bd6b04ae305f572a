import { type ApiRuntime, apiUnavailable, getApi } from "~/server/api";

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

export { handle as GET, handle as POST };
