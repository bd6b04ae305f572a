import type { IncomingMessage, ServerResponse } from "node:http";

export type FetchHandler = (request: Request, options?: { bodyWithinLimit?: boolean }) => Promise<Response>;

/**
 * Serves one Node HTTP request with a fetch-style handler (the API's `createTrpcHandler`): the body is
 * read up to one byte past `maxBodyBytes` (the handler answers 413 to more), the request's signal is
 * aborted when the client goes away before its answer (a long poll stops waiting), and the answer is
 * written with `extraHeaders` added.
 */
export async function serveNodeRequest(
  handler: FetchHandler,
  request: IncomingMessage,
  response: ServerResponse,
  options: { maxBodyBytes: number; extraHeaders?: ReadonlyArray<{ key: string; value: string }> },
): Promise<void> {
  const controller = new AbortController();
  response.once("close", () => {
    if (!response.writableFinished) controller.abort();
  });
  let answer: Response;
  try {
    const body =
      request.method === "GET" || request.method === "HEAD"
        ? null
        : await readBody(request, options.maxBodyBytes);
    answer = await handler(
      new Request(urlOf(request), {
        method: request.method ?? "GET",
        headers: headersOf(request),
        body,
        signal: controller.signal,
      }),
      { bodyWithinLimit: (body?.byteLength ?? 0) <= options.maxBodyBytes },
    );
  } catch {
    // The client went away mid-body, or sent one that cannot be read: nothing useful to answer.
    if (!response.headersSent) {
      response.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
      response.end("The request could not be read");
    }
    return;
  }
  if (controller.signal.aborted || response.destroyed) return;
  await writeNodeResponse(answer, response, options.extraHeaders);
}

/** Writes a fetch-style answer to a Node response, with `extraHeaders` added where the answer has none. */
export async function writeNodeResponse(
  answer: Response,
  response: ServerResponse,
  extraHeaders: ReadonlyArray<{ key: string; value: string }> = [],
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  answer.headers.forEach((value, key) => {
    if (key !== "set-cookie") headers[key] = value;
  });
  const cookies = answer.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  for (const { key, value } of extraHeaders) headers[key.toLowerCase()] ??= value;
  const payload = Buffer.from(await answer.arrayBuffer());
  headers["content-length"] = String(payload.byteLength);
  response.writeHead(answer.status, headers);
  response.end(payload);
}

async function readBody(request: IncomingMessage, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    if (total > limit) continue; // drain the rest; the handler answers 413 to what was kept
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  const body = new Uint8Array(Math.min(total, limit + 1));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, body.byteLength - offset);
    body.set(part, offset);
    offset += part.byteLength;
  }
  return body;
}

function urlOf(request: IncomingMessage): string {
  const path = request.url ?? "/";
  try {
    return new URL(path, `http://${request.headers.host ?? "localhost"}`).toString();
  } catch {
    // A Host header that is not a host: the path alone matters to the API.
    return new URL(path, "http://localhost").toString();
  }
}

function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    try {
      if (Array.isArray(value)) for (const item of value) headers.append(key, item);
      else headers.set(key, value);
    } catch {
      // A header value fetch's Headers refuses (Node let it through): leave it out.
    }
  }
  return headers;
}
