import type { RequestRecord } from "../observability/requests.ts";
import { serverLogger } from "./logger.ts";

const log = serverLogger("request");

/**
 * The request log: one line per answered request, named by the id echoed in its `x-request-id`
 * header (the agent's own, when it sent one), so a call can be found on both sides.
 */
export function logRequest(record: RequestRecord): void {
  const properties = {
    requestId: record.requestId,
    transport: record.transport,
    method: record.method,
    procedure: record.procedure,
    callerKind: record.caller.kind,
    callerId: record.caller.id,
    status: record.status,
    durationMs: Math.round(record.durationMs * 10) / 10,
  };
  const message = "{method} {procedure} answered {status} in {durationMs} ms";
  if (record.status >= 500) log.error(message, properties);
  else log.info(message, properties);
}
