import { reportExportQuery } from "@redflag/contracts";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { requestInfoOf } from "../../http.ts";
import { appRouter } from "../../root.ts";
import { type ApiDependencies, createCallerFactory, createContext } from "../../trpc.ts";

const createCaller = createCallerFactory(appRouter);

function plain(status: number, message: string, headers: Record<string, string> = {}) {
  return new Response(`${message}\n`, {
    status,
    headers: { "cache-control": "no-store", "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/**
 * `GET /api/reports/export?report=hosts|tags&format=csv|json&complianceDays=14`: a report as a file.
 * It calls `reports.export` through the router, so it authenticates exactly like the API (session
 * cookie or API token, viewer role) and answers the same refusals, as HTTP statuses.
 */
export function createReportExportHandler(dependencies: ApiDependencies) {
  return async (request: Request): Promise<Response> => {
    const parameters = Object.fromEntries(new URL(request.url).searchParams);
    const query = reportExportQuery.safeParse(parameters);
    if (!query.success) {
      const problems = query.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
      return plain(400, `Bad export request: ${problems.join("; ")}`);
    }
    const responseHeaders = new Headers();
    const context = createContext(
      dependencies,
      { ...requestInfoOf(request, dependencies.config.trustProxy), requestId: crypto.randomUUID() },
      responseHeaders,
    );
    try {
      const file = await createCaller(context).reports.export(query.data);
      responseHeaders.set("content-type", file.contentType);
      responseHeaders.set("content-disposition", `attachment; filename="${file.filename}"`);
      responseHeaders.set("cache-control", "no-store");
      responseHeaders.set("x-request-id", context.requestId);
      return new Response(file.body, { headers: responseHeaders });
    } catch (error) {
      if (!(error instanceof TRPCError)) throw error;
      const status = getHTTPStatusCodeFromError(error);
      if (status >= 500) console.error("[redflag] A report export failed:", error);
      return plain(
        status,
        status >= 500 ? "The report could not be made; see the server log" : error.message,
      );
    }
  };
}
