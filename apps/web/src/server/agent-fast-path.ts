import { type IncomingMessage, Server, type ServerResponse } from "node:http";
import { errorProperties, serveNodeRequest, serverLogger, writeNodeResponse } from "@redflag/api";
import { nonDocumentPolicy, securityHeaders } from "~/security-headers";
import { apiUnavailable, getApi } from "~/server/api";

const installed = Symbol.for("redflag.agentFastPath");
const agentProcedurePath = /^\/api\/trpc\/agent\.[A-Za-z]+(?:\?.*)?$/;
const answerHeaders = [...securityHeaders, nonDocumentPolicy, { key: "Cache-Control", value: "no-store" }];

/**
 * The agents' calls (`POST /api/trpc/agent.*`: check-ins, long polls, reports) go straight to the API's
 * tRPC handler at the Node server, before Next's request handling: the framework's routing, rendering
 * machinery and per-request work cost about three quarters of the check-in throughput, and a held long
 * poll should cost a socket and a promise, not a route invocation. Everything else, dashboard and
 * admin API included, goes on to Next. Same handler, same contracts, errors and limits as Next's
 * /api/trpc route; this path skips only Next's middleware (proxy.ts), which guards pages, not the API.
 */
export function installAgentFastPath(): void {
  const prototype = Server.prototype as Server & { [installed]?: true };
  if (prototype[installed]) return;
  prototype[installed] = true;
  const emit = prototype.emit;
  prototype.emit = function emitWithAgentFastPath(this: Server, event: string | symbol, ...args: unknown[]) {
    if (event === "request") {
      const request = args[0] as IncomingMessage;
      if (request.method === "POST" && agentProcedurePath.test(request.url ?? "")) {
        void serveAgentCall(request, args[1] as ServerResponse);
        return true;
      }
    }
    return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
  };
}

async function serveAgentCall(request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    const api = await getApi();
    await serveNodeRequest(api.handleTrpc, request, response, {
      maxBodyBytes: api.env.config.maxBodyBytes,
      extraHeaders: answerHeaders,
    });
  } catch (error) {
    serverLogger("boot").error("The API could not start", { error: errorProperties(error) });
    if (!response.headersSent) await writeNodeResponse(apiUnavailable(error), response, answerHeaders);
  }
}
