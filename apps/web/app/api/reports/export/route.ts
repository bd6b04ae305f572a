import { createReportExportHandler } from "@redflag/api";
import { apiUnavailable, getApi } from "~/server/api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The reports page's downloads (CSV or JSON); authenticates like the API: session cookie or API token. */
export async function GET(request: Request): Promise<Response> {
  let api: Awaited<ReturnType<typeof getApi>>;
  try {
    api = await getApi();
  } catch (error) {
    console.error("[redflag] The API could not start:", error);
    return apiUnavailable(error);
  }
  return createReportExportHandler(api.server)(request);
}
