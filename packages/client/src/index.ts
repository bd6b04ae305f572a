import { createTRPCClient, httpLink, type TRPCClient, TRPCClientError, type TRPCLink } from "@trpc/client";
import { observable } from "@trpc/server/observable";
import superjson from "superjson";
import type { AppRouter } from "./router.ts";

export { TRPCClientError } from "@trpc/client";
export type { AppRouter } from "./router.ts";

/** API tokens (Settings → API tokens) start with this; agent and registration tokens do not work here. */
export const apiTokenPrefix = "rf_pat_";

export type RedflagClientOptions = {
  /** The server's base URL, as in the browser's address bar: `https://redflag.example.com`. */
  url: string;
  /** An API token; its role decides what the client may do (viewer, operator, admin). */
  token: string;
};

export type RedflagClient = TRPCClient<AppRouter>;

/** The error a failed call throws: the server's message, its tRPC code and the request id it logged. */
export type RedflagError = TRPCClientError<AppRouter>;

/**
 * A typed client for the RedFlag API: `client.updates.list.query({ security: true })`,
 * `client.updates.approve.mutate({ updateIds })`. Throws at once when the URL or the token is unusable.
 */
export function createRedflagClient(options: RedflagClientOptions): RedflagClient {
  const baseUrl = parseBaseUrl(options?.url);
  const token = parseToken(options?.token);
  const endpoint = `${baseUrl}/api/trpc`;
  return createTRPCClient<AppRouter>({
    links: [
      withRequestIds(),
      httpLink({
        url: endpoint,
        transformer: superjson,
        headers: { authorization: `Bearer ${token}` },
        fetch: (input, init) => fetchApi(baseUrl, input, init),
      }),
    ],
  });
}

/** The request id the server gave a failed call (also in its log line), when the server answered. */
export function requestIdOf(error: unknown): string | null {
  if (!(error instanceof TRPCClientError)) return null;
  const fromData = (error.data as { requestId?: unknown } | undefined)?.requestId;
  if (typeof fromData === "string") return fromData;
  const response = (error.meta as { response?: Response } | undefined)?.response;
  return response?.headers.get("x-request-id") ?? null;
}

function parseBaseUrl(url: unknown): string {
  if (typeof url !== "string" || url.trim() === "") {
    throw new Error(
      "createRedflagClient: `url` is required (the server's base URL, e.g. https://redflag.example.com)",
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch (cause) {
    throw new Error(`createRedflagClient: \`url\` is not a valid URL: ${JSON.stringify(url)}`, { cause });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new Error(`createRedflagClient: \`url\` must be http:// or https://, not ${parsed.protocol}//`);
  }
  if (parsed.search || parsed.hash) {
    throw new Error("createRedflagClient: `url` must be the server's base URL, without a query or fragment");
  }
  // The base URL, also when one pasted the API endpoint itself.
  const path = parsed.pathname.replace(/\/+$/, "").replace(/\/api\/trpc$/, "");
  return `${parsed.origin}${path}`;
}

function parseToken(token: unknown): string {
  if (typeof token !== "string" || token.trim() === "") {
    throw new Error(
      "createRedflagClient: `token` is required (create an API token under Settings → API tokens)",
    );
  }
  const trimmed = token.trim();
  if (!trimmed.startsWith(apiTokenPrefix) || /\s/.test(trimmed)) {
    throw new Error(
      `createRedflagClient: \`token\` is not an API token (those start with ${apiTokenPrefix}; create one under Settings → API tokens)`,
    );
  }
  return trimmed;
}

/** Turns "fetch failed" and an HTML page into errors that name the server and what to check. */
async function fetchApi(baseUrl: string, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(input, init);
  } catch (cause) {
    if (init?.signal?.aborted) throw cause;
    const reason = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause : cause).message : "";
    throw new Error(`Cannot reach the RedFlag server at ${baseUrl}: ${reason || String(cause)}`, { cause });
  }
  const contentType = response.headers.get("content-type") ?? "";
  if (!contentType.includes("application/json")) {
    const requestId = response.headers.get("x-request-id");
    throw new Error(
      `The RedFlag server at ${baseUrl} answered HTTP ${response.status} (${contentType || "no content type"}) instead of an API answer${requestId ? ` (request ${requestId})` : ""}: check that the url is the server's base URL`,
    );
  }
  return response;
}

/** Adds the server's request id to the message of every failed call, so a log line is one grep away. */
function withRequestIds(): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) =>
        next(op).subscribe({
          next: (value) => observer.next(value),
          complete: () => observer.complete(),
          error: (error) => {
            const requestId = requestIdOf(error);
            if (!requestId || error.message.includes(requestId)) {
              observer.error(error);
              return;
            }
            observer.error(
              new TRPCClientError<AppRouter>(`${error.message} (${op.path}, request ${requestId})`, {
                result: error.shape ? { error: error.shape } : undefined,
                cause: error,
                meta: error.meta,
              }),
            );
          },
        }),
      );
}
