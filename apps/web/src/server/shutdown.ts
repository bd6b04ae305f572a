import { type IncomingMessage, Server, type ServerResponse } from "node:http";
import { errorProperties, serverLogger, trpcErrorResponse } from "@redflag/api";
import { TRPCError } from "@trpc/server";

const installed = Symbol.for("redflag.gracefulShutdown");
const log = serverLogger("shutdown");
const signals = ["SIGTERM", "SIGINT"] as const;

export type GracefulShutdownOptions = {
  /** How long requests already being served may take to finish before their connections are cut. */
  graceMs: number;
  /** Closing the database may take this long; past it the process exits anyway (the WAL recovers it). */
  closeTimeoutMs: number;
  /** Stops the API: sweeps, then the database (PGlite writes its shutdown checkpoint). */
  stopApi: () => Promise<void>;
};

type ShutdownState = {
  stopping: boolean;
  inFlight: number;
  servers: Set<Server>;
  onIdle: (() => void) | null;
};

/**
 * SIGTERM / SIGINT stop the server cleanly within a bounded time: new requests answer 503 (with
 * `Connection: close`, so clients come back later), requests under way may finish within the grace
 * period, then the database is closed and the process exits. Next's own handler is removed: it exits
 * as soon as its HTTP server has closed, without waiting for the database, so every normal stop of
 * the embedded database would be a crash.
 */
export function installGracefulShutdown(options: GracefulShutdownOptions): void {
  const prototype = Server.prototype as Server & { [installed]?: ShutdownState };
  if (prototype[installed]) return;
  const state: ShutdownState = { stopping: false, inFlight: 0, servers: new Set(), onIdle: null };
  prototype[installed] = state;

  const emit = prototype.emit;
  prototype.emit = function emitTrackingRequests(this: Server, event: string | symbol, ...args: unknown[]) {
    const forward = () => emit.apply(this, [event, ...args] as unknown as Parameters<typeof emit>);
    if (event !== "request") return forward();
    state.servers.add(this);
    const response = args[1] as ServerResponse;
    if (state.stopping) {
      refuse(args[0] as IncomingMessage, response);
      return true;
    }
    state.inFlight++;
    response.once("close", () => {
      state.inFlight--;
      if (state.inFlight === 0) state.onIdle?.();
    });
    return forward();
  };

  const onSignal = (signal: NodeJS.Signals) => {
    // Ctrl-C reaches both `npm start` and us, which passes it on: one stop is enough.
    if (state.stopping) return;
    state.stopping = true;
    void stop(state, options, signal);
  };
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) process.off(signal, listener);
    process.on(signal, onSignal);
  }
}

async function stop(state: ShutdownState, options: GracefulShutdownOptions, signal: NodeJS.Signals) {
  const started = Date.now();
  // Whatever happens below, the process ends in bounded time.
  setTimeout(
    () => {
      log.error("Stopping took too long; exiting without a clean database close.");
      process.exit(1);
    },
    options.graceMs + options.closeTimeoutMs + 1_000,
  );
  log.info("{signal}: stopping; {inFlight} request(s) in flight get up to {graceMs} ms.", {
    signal,
    inFlight: state.inFlight,
    graceMs: options.graceMs,
  });
  for (const server of state.servers) {
    server.close();
    server.closeIdleConnections();
  }
  const drained = await waitForIdle(state, options.graceMs);
  if (!drained) {
    log.error("{inFlight} request(s) still running after the grace period; cutting them.", {
      inFlight: state.inFlight,
    });
    for (const server of state.servers) server.closeAllConnections();
  }
  let closed = false;
  try {
    closed = await Promise.race([
      options.stopApi().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), options.closeTimeoutMs)),
    ]);
    if (!closed) log.error("Closing the database took too long; exiting anyway.");
  } catch (error) {
    log.error("Closing the database failed", { error: errorProperties(error) });
  }
  log.info("Stopped in {durationMs} ms{closed}.", {
    durationMs: Date.now() - started,
    closed: closed ? "; the database was closed cleanly" : "",
  });
  process.exit(closed && drained ? 0 : 1);
}

function waitForIdle(state: ShutdownState, timeoutMs: number): Promise<boolean> {
  if (state.inFlight === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    state.onIdle = () => {
      clearTimeout(timer);
      resolve(true);
    };
  });
}

/** Shaped as the API answers SERVICE_UNAVAILABLE, so agents and scripts retry later. */
function refuse(request: IncomingMessage, response: ServerResponse): void {
  request.resume();
  const answer = trpcErrorResponse(
    new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "The server is shutting down; try again shortly" }),
    { connection: "close", "cache-control": "no-store" },
  );
  response.writeHead(answer.status, Object.fromEntries(answer.headers));
  void answer.text().then((body) => response.end(body));
}
