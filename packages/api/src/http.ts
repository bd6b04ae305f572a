import { getErrorShape, TRPCError, transformTRPCResponse } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { isServerFailure, retryAfterSeconds, unavailableCause } from "./errors.ts";
import { errorProperties, isDebugLogging, serverLogger, withLogContext } from "./logging/logger.ts";
import { observeRequest } from "./observability/requests.ts";
import { appRouter } from "./root.ts";
import { type ApiDependencies, type Context, createContext, type RequestInfo } from "./trpc.ts";

export const trpcEndpoint = "/api/trpc";

/** Where a failure is told: the request it answered and the whole error, cause chain and all. */
export type ServerFailureLog = (
  error: unknown,
  details: { requestId: string | null; path: string | undefined },
) => void;

const failureLog = serverLogger("request");

export const logServerFailure: ServerFailureLog = (error, { requestId, path }) => {
  const properties = { requestId, procedure: path ?? null };
  // While the database is down every request answers 503: a line each that names the cause, rather
  // than a stack trace each from a thousand agents.
  if (error instanceof TRPCError && error.code === "SERVICE_UNAVAILABLE") {
    failureLog.error("{procedure} answered 503: {cause}", { ...properties, cause: unavailableCause(error) });
    return;
  }
  failureLog.error("{procedure} failed: {message}", {
    ...properties,
    message: error instanceof Error ? error.message : String(error),
    error: errorProperties(error),
  });
};

/** Refusals worth a warning: who was refused, from where (never with what credential). */
export const refusalCodes = new Set(["UNAUTHORIZED", "FORBIDDEN", "TOO_MANY_REQUESTS"]);

export function logRefusal(error: TRPCError, ctx: Context | undefined, path: string | undefined) {
  failureLog.warn("{procedure} refused: {code} {message}", {
    requestId: ctx?.requestId ?? null,
    procedure: path ?? null,
    code: error.code,
    message: error.message,
    callerKind: ctx?.caller.kind ?? "anonymous",
    callerId: ctx?.caller.id ?? null,
    address: ctx?.request.address ?? null,
  });
}

/** A request id the client chose (the agent sends one per call): printable, short, no spaces. */
const clientRequestIdPattern = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestIdOf(request: Request): string {
  const sent = request.headers.get("x-request-id");
  return sent && clientRequestIdPattern.test(sent) ? sent : crypto.randomUUID();
}

/** At debug: what the request carried, secrets redacted by the log's field and pattern rules. */
async function logRequestBody(request: Request, requestId: string) {
  if (request.method !== "POST") return;
  let body: unknown;
  try {
    const text = await request.clone().text();
    body = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    body = "(not JSON)";
  }
  failureLog.debug("Request body of {procedure}", {
    requestId,
    procedure: procedureOf(request.url),
    body,
  });
}

/**
 * The HTTP entry of the API, used by the Next.js route and by tests alike. Failures (internal errors,
 * an unreachable database, a value the database refused) go to `onInternalError`, by default the
 * server log; the client gets only what `errorFormatter` in trpc.ts lets through.
 */
export function createTrpcHandler(
  dependencies: ApiDependencies,
  options: { onInternalError?: ServerFailureLog } = {},
) {
  const { maxBodyBytes, trustProxy } = dependencies.config;
  const log = options.onInternalError ?? logServerFailure;
  /**
   * `bodyWithinLimit`: the caller already read the whole body into memory and it is within
   * `maxBodyBytes` (the Node adapter, node-http.ts), so it is not read and copied a second time.
   */
  return async (request: Request, options: { bodyWithinLimit?: boolean } = {}): Promise<Response> => {
    let limited: Request | null;
    try {
      limited = options.bodyWithinLimit ? request : await limitBody(request, maxBodyBytes);
    } catch (error) {
      // The client went away or sent a broken stream: nothing to answer but that.
      return trpcErrorResponse(
        new TRPCError({ code: "BAD_REQUEST", message: "The request body could not be read", cause: error }),
      );
    }
    if (!limited) {
      return trpcErrorResponse(
        new TRPCError({
          code: "PAYLOAD_TOO_LARGE",
          message: `Request body is larger than the limit of ${Math.round(maxBodyBytes / 1024)} KiB`,
        }),
      );
    }
    const started = performance.now();
    let context: Context | null = null;
    const requestId = requestIdOf(limited);
    if (isDebugLogging()) await logRequestBody(limited, requestId);
    // Every line written while the request runs names it (and, once known, its agent: trpc.ts).
    const response = await withLogContext({ requestId }, () =>
      fetchRequestHandler({
        endpoint: trpcEndpoint,
        req: limited,
        router: appRouter,
        createContext: ({ req, resHeaders }) => {
          context = createContext(dependencies, { ...requestInfoOf(req, trustProxy), requestId }, resHeaders);
          return context;
        },
        onError: ({ error, ctx, path }) => {
          if (isServerFailure(error)) log(error, { requestId: ctx?.requestId ?? null, path });
          else if (refusalCodes.has(error.code)) logRefusal(error, ctx, path);
        },
        responseMeta: ({ ctx, errors }) => {
          const headers = new Headers();
          if (ctx) headers.set("x-request-id", ctx.requestId);
          if (errors.some((error) => error.code === "SERVICE_UNAVAILABLE")) {
            headers.set("retry-after", String(retryAfterSeconds));
          }
          return { headers };
        },
      }),
    );
    const answered = context as Context | null;
    observeRequest(dependencies.requestObservers, {
      requestId: answered?.requestId ?? response.headers.get("x-request-id") ?? "(none)",
      transport: "trpc",
      procedure: procedureOf(limited.url),
      method: limited.method,
      caller: answered?.caller ?? { kind: "anonymous", id: null },
      status: response.status,
      durationMs: performance.now() - started,
    });
    return response;
  };
}

/** "agent.checkIn" from ".../api/trpc/agent.checkIn?batch=1"; null when the path names none. */
function procedureOf(url: string): string | null {
  const path = new URL(url).pathname;
  const index = path.indexOf(`${trpcEndpoint}/`);
  if (index < 0) return null;
  const raw = path.slice(index + trpcEndpoint.length + 1, index + trpcEndpoint.length + 501);
  let procedure: string;
  try {
    procedure = decodeURIComponent(raw);
  } catch {
    procedure = raw;
  }
  return procedure.length > 0 ? procedure : null;
}

/** The request with its body read up to `limit` bytes; null when the body is larger. */
export async function limitBody(request: Request, limit: number): Promise<Request | null> {
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
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body,
    signal: request.signal,
  });
}

/**
 * An error answered before any procedure runs (the body too large, the API not started), shaped and
 * encoded as the tRPC handler encodes its own, so clients read its message and code. A
 * SERVICE_UNAVAILABLE answer says when to retry.
 */
export function trpcErrorResponse(error: TRPCError, extraHeaders?: HeadersInit): Response {
  const config = appRouter._def._config;
  const shape = getErrorShape({
    config,
    error,
    type: "unknown",
    path: undefined,
    input: undefined,
    ctx: undefined,
  });
  const headers = new Headers(extraHeaders);
  if (error.code === "SERVICE_UNAVAILABLE" && !headers.has("retry-after")) {
    headers.set("retry-after", String(retryAfterSeconds));
  }
  return Response.json(transformTRPCResponse(config, { error: shape }), {
    status: getHTTPStatusCodeFromError(error),
    headers,
  });
}

export function requestInfoOf(request: Request, trustProxy: boolean): RequestInfo {
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
    signal: request.signal,
  };
}
