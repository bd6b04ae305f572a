import { retryAfterSeconds } from "@redflag/api";
import { getApi } from "~/server/api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const noStore = { "cache-control": "no-store" };

/** For load balancers: 200 while the database answers, 503 otherwise. Public, and says nothing more. */
export async function GET(): Promise<Response> {
  try {
    const api = await getApi();
    await api.server.ping();
    return Response.json({ status: "ok" }, { headers: noStore });
  } catch (error) {
    console.error("[redflag] Health check failed:", error);
    return Response.json(
      { status: "unavailable" },
      { status: 503, headers: { ...noStore, "retry-after": String(retryAfterSeconds) } },
    );
  }
}
