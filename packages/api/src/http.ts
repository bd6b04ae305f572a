import { getErrorShape, TRPCError, transformTRPCResponse } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { appRouter } from "./root.ts";
import { type ApiDependencies, createContext, type RequestInfo } from "./trpc.ts";

export const trpcEndpoint = "/api/trpc";

/** The HTTP entry of the API, used by the Next.js route and by tests alike. */
export function createTrpcHandler(
  dependencies: ApiDependencies,
  options: { onInternalError?: (error: unknown) => void } = {},
) {
  const { maxBodyBytes, trustProxy } = dependencies.config;
  return async (request: Request): Promise<Response> => {
    const limited = await limitBody(request, maxBodyBytes);
    if (!limited) {
      return trpcErrorResponse(
        new TRPCError({
          code: "PAYLOAD_TOO_LARGE",
          message: `Request body is larger than the limit of ${Math.round(maxBodyBytes / 1024)} KiB`,
        }),
      );
    }
    return fetchRequestHandler({
      endpoint: trpcEndpoint,
      req: limited,
      router: appRouter,
      createContext: ({ req, resHeaders }) =>
        createContext(dependencies, requestInfoOf(req, trustProxy), resHeaders),
      onError: ({ error }) => {
        if (error.code === "INTERNAL_SERVER_ERROR") options.onInternalError?.(error);
      },
    });
  };
}

/** The request with its body read up to `limit` bytes; null when the body is larger. */
async function limitBody(request: Request, limit: number): Promise<Request | null> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) return null;
  if (!request.body) return request;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new Request(request.url, { method: request.method, headers: request.headers, body });
}

/**
 * An error answered before any procedure runs (the body too large, the API not started), shaped and
 * encoded as the tRPC handler encodes its own, so clients read its message and code.
 */
export function trpcErrorResponse(error: TRPCError, headers?: HeadersInit): Response {
  const config = appRouter._def._config;
  const shape = getErrorShape({
    config,
    error,
    type: "unknown",
    path: undefined,
    input: undefined,
    ctx: undefined,
  });
  return Response.json(transformTRPCResponse(config, { error: shape }), {
    status: getHTTPStatusCodeFromError(error),
    headers,
  });
}

function requestInfoOf(request: Request, trustProxy: boolean): RequestInfo {
  const forwarded = (request.headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  // The web server replaces the header with the socket's peer address, or appends the peer behind a
  // trusted proxy (apps/web/src/server/forwarded-for.ts). So the last entry is the peer, and behind a
  // trusted proxy the one before it is what that proxy saw; anything further left is client-written.
  const address = (trustProxy ? (forwarded.at(-2) ?? forwarded.at(-1)) : forwarded.at(-1)) ?? "unknown";
  const protocol = trustProxy ? request.headers.get("x-forwarded-proto") : null;
  return {
    address,
    secure: protocol ? protocol === "https" : new URL(request.url).protocol === "https:",
    authorization: request.headers.get("authorization"),
    cookie: request.headers.get("cookie"),
    origin: request.headers.get("origin"),
    host: (trustProxy ? request.headers.get("x-forwarded-host") : null) ?? request.headers.get("host"),
  };
}
