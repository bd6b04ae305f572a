import { errorProperties, serverLogger } from "../logging/logger.ts";

/** Who made a request, as far as the API could tell (set by the authentication middleware in trpc.ts). */
export type CallerKind = "anonymous" | "user" | "api_token" | "agent";

export type Caller = { kind: CallerKind; id: string | null };

/** One answered API request, handed to every observer (the request log, the metrics) once it is answered. */
export type RequestRecord = {
  requestId: string;
  /** "trpc" for /api/trpc, "rest" for /api/v1. */
  transport: "trpc" | "rest";
  /** The procedure path ("agent.checkIn"); several joined by "," for a tRPC batch; null when none was named. */
  procedure: string | null;
  method: string;
  caller: Caller;
  status: number;
  durationMs: number;
};

export type RequestObserver = (record: RequestRecord) => void;

/** Tells each observer; an observer that throws does not stop the others or the answer. */
export function observeRequest(observers: readonly RequestObserver[], record: RequestRecord): void {
  for (const observer of observers) {
    try {
      observer(record);
    } catch (error) {
      serverLogger("request").error("A request observer failed", { error: errorProperties(error) });
    }
  }
}
