import { AsyncLocalStorage } from "node:async_hooks";
import { logger, withLogContext } from "../logging.ts";

const log = logger("transport");

/**
 * The id of the traced call under way, sent as `x-request-id`: the server names its log line for the
 * request by it, so one id finds the call on both sides.
 */
const callIds = new AsyncLocalStorage<string>();

/** The id for a request now: the traced call's, or a fresh one. */
export function requestIdOfCall(): string {
  return callIds.getStore() ?? crypto.randomUUID();
}

/** Runs one attempt of a call under a fresh request id, which every line logged meanwhile carries. */
export async function traceCall<T>(run: () => Promise<T>): Promise<{ value: T; requestId: string }> {
  const requestId = crypto.randomUUID();
  const value = await callIds.run(requestId, () => withLogContext({ requestId }, run));
  return { value, requestId };
}

/** `fetch` that says, at debug, what it calls and how it was answered. */
export async function fetchLogged(input: string | URL | Request, init: RequestInit): Promise<Response> {
  const requestId = new Headers(init.headers).get("x-request-id");
  const path = String(input).split("?")[0] ?? "";
  const procedure = path.slice(path.lastIndexOf("/") + 1);
  const started = Date.now();
  log.debug("Calling {procedure} (request {requestId})", { procedure, requestId });
  try {
    const response = await fetch(input, init);
    log.debug("{procedure} answered {status} in {durationMs} ms (request {requestId})", {
      procedure,
      status: response.status,
      durationMs: Date.now() - started,
      requestId,
    });
    return response;
  } catch (error) {
    log.debug("{procedure} failed after {durationMs} ms (request {requestId}): {message}", {
      procedure,
      durationMs: Date.now() - started,
      requestId,
      message: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
}
