import type { TRPCError } from "@trpc/server";
import { createOpenApiNodeHttpHandler } from "trpc-to-openapi";
import { isServerFailure, retryAfterSeconds } from "../errors.ts";
import {
  limitBody,
  logRefusal,
  logServerFailure,
  refusalCodes,
  requestIdOf,
  requestInfoOf,
  type ServerFailureLog,
} from "../http.ts";
import { withLogContext } from "../logging/logger.ts";
import { observeRequest } from "../observability/requests.ts";
import { type ApiDependencies, type Context, createContext } from "../trpc.ts";
import { matchRestRoute, restEndpoint } from "./route-table.ts";
import { restHandlerRouter } from "./routes.ts";

/** What one request carries through the library's callbacks (they receive only the request object). */
type RequestState = {
  dependencies: ApiDependencies;
  requestId: string;
  context: Context | null;
  procedure: string | null;
};

const states = new WeakMap<object, RequestState>();

/** A JSON error answer in the shape the library gives its own (`message`, `code`, `data`). */
function errorAnswer(
  status: number,
  code: TRPCError["code"],
  message: string,
  requestId: string,
  headers?: Record<string, string>,
): Response {
  return Response.json(
    { message, code, data: { code, httpStatus: status, requestId } },
    { status, headers: { "x-request-id": requestId, ...headers } },
  );
}

/**
 * The REST entry of the API at /api/v1: the procedures that carry `.meta({ openapi })`, served by
 * trpc-to-openapi with the same context, authentication, body limit, error formatter and request ids
 * as /api/trpc, and told to the request observers as `transport: "rest"`.
 */
export function createRestHandler(
  dependencies: ApiDependencies,
  options: { onInternalError?: ServerFailureLog } = {},
) {
  const { maxBodyBytes, trustProxy } = dependencies.config;
  const log = options.onInternalError ?? logServerFailure;
  const openApiHandler = createOpenApiNodeHttpHandler({
    router: restHandlerRouter,
    createContext: ({ req, res }) => {
      const state = states.get(req) as RequestState;
      const request = req as unknown as Request;
      state.context = createContext(
        state.dependencies,
        { ...requestInfoOf(request, trustProxy), requestId: state.requestId },
        (res as unknown as { headers: Headers }).headers,
      );
      return state.context;
    },
    onError: ({ error, ctx, path }) => {
      if (isServerFailure(error)) log(error, { requestId: ctx?.requestId ?? null, path });
      else if (refusalCodes.has(error.code)) logRefusal(error, ctx, path);
    },
    responseMeta: ({ ctx, errors }) => {
      const headers: Record<string, string> = {};
      if (ctx) headers["x-request-id"] = ctx.requestId;
      if (errors.some((error) => error.code === "SERVICE_UNAVAILABLE")) {
        headers["retry-after"] = String(retryAfterSeconds);
      }
      return { headers };
    },
  });

  return async (request: Request, handlerOptions: { bodyWithinLimit?: boolean } = {}): Promise<Response> => {
    const started = performance.now();
    const requestId = requestIdOf(request);
    const state: RequestState = { dependencies, requestId, context: null, procedure: null };
    // Every line written while the request runs names it, as on /api/trpc.
    const response = await withLogContext({ requestId }, () => answer(request, handlerOptions, state));
    observeRequest(dependencies.requestObservers, {
      requestId,
      transport: "rest",
      procedure: state.procedure,
      method: request.method,
      caller: state.context?.caller ?? { kind: "anonymous", id: null },
      status: response.status,
      durationMs: performance.now() - started,
    });
    return response;
  };

  async function answer(
    request: Request,
    handlerOptions: { bodyWithinLimit?: boolean },
    state: RequestState,
  ): Promise<Response> {
    const url = new URL(request.url);
    const match = matchRestRoute(request.method, url.pathname);
    if (match.kind === "no_route") {
      return errorAnswer(
        404,
        "NOT_FOUND",
        `No route ${request.method} ${url.pathname}; the routes are listed in ${restEndpoint}/openapi.json`,
        state.requestId,
      );
    }
    if (match.kind === "wrong_method") {
      return errorAnswer(
        405,
        "METHOD_NOT_SUPPORTED",
        `${url.pathname} does not answer ${request.method}; it answers ${match.allowed.join(", ")}`,
        state.requestId,
        { allow: match.allowed.join(", ") },
      );
    }
    state.procedure = match.route.procedure;
    const query = match.route.queryOf(url.searchParams);
    if (!query.ok) return errorAnswer(400, "BAD_REQUEST", query.message, state.requestId);

    let body: unknown;
    if (match.route.hasBody) {
      let limited: Request | null;
      try {
        limited = handlerOptions.bodyWithinLimit ? request : await limitBody(request, maxBodyBytes);
      } catch {
        return errorAnswer(400, "BAD_REQUEST", "The request body could not be read", state.requestId);
      }
      if (!limited) {
        return errorAnswer(
          413,
          "PAYLOAD_TOO_LARGE",
          `Request body is larger than the limit of ${Math.round(maxBodyBytes / 1024)} KiB`,
          state.requestId,
        );
      }
      const text = await limited.text();
      const contentType = request.headers.get("content-type") ?? "";
      if (text.trim().length > 0 && !contentType.toLowerCase().startsWith("application/json")) {
        return errorAnswer(
          415,
          "UNSUPPORTED_MEDIA_TYPE",
          "Send the body as application/json",
          state.requestId,
        );
      }
      try {
        // An empty body is an empty object: `POST /updates/{updateId}/approve` needs nothing more.
        body = text.trim().length > 0 ? JSON.parse(text) : {};
      } catch (error) {
        return errorAnswer(
          400,
          "PARSE_ERROR",
          `The request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
          state.requestId,
        );
      }
    }

    // The library reads a Node-style request; this one carries the already read body and typed query.
    const headers = new Headers(request.headers);
    if (match.route.hasBody) headers.set("content-type", "application/json");
    const forwarded = new Request(url.toString().replace(restEndpoint, ""), {
      method: request.method,
      headers,
      signal: request.signal,
    });
    const nodeRequest = new Proxy(forwarded, {
      get(target, property) {
        if (property === "body") return body;
        if (property === "query") return query.value;
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
      has(target, property) {
        return property === "body" || property === "query" || Reflect.has(target, property);
      },
    });
    states.set(nodeRequest, state);
    const responseHeaders = new Headers();
    const answered = await new Promise<{ status: number; body: string }>((resolve) => {
      let status = 200;
      const nodeResponse = {
        headers: responseHeaders,
        setHeader(key: string, value: string | string[]) {
          for (const item of Array.isArray(value) ? value : [value]) responseHeaders.append(key, item);
        },
        get statusCode() {
          return status;
        },
        set statusCode(code: number) {
          status = code;
        },
        end(text: string) {
          resolve({ status, body: text });
        },
      };
      void openApiHandler(nodeRequest as never, nodeResponse as never);
    });
    return new Response(clearErrorMessage(answered.status, answered.body), {
      status: answered.status,
      headers: responseHeaders,
    });
  }
}

/**
 * The library answers every invalid input with "Input validation failed"; the error formatter
 * (trpc.ts) has already named each field, so that is the message REST callers get too.
 */
function clearErrorMessage(status: number, body: string): string {
  if (status < 400 || status >= 500) return body;
  try {
    const parsed = JSON.parse(body) as { message?: string; data?: { fields?: unknown } };
    const fields = parsed.data?.fields;
    if (!Array.isArray(fields) || fields.length === 0) return body;
    const described = (fields as Array<{ path: string; message: string }>)
      .map((field) => `${field.path || "(input)"}: ${field.message}`)
      .join("; ");
    return JSON.stringify({ ...parsed, message: `Invalid input: ${described}` });
  } catch {
    return body;
  }
}
