// biome-ignore lint/style/noRestrictedImports: the router type only; erased at build, no server code reaches the binary.
import type { AppRouter } from "@redflag/api";
import type { HostFacts } from "@redflag/contracts";
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import {
  type LoadedConfig,
  type RegisteredConfig,
  type Registration,
  saveConfig,
  serverUrlsOf,
} from "../config/config.ts";
import { ExitError, exitCodes } from "../errors.ts";
import { logger } from "../logging.ts";
import { pinServerKeys } from "../trust/pin-server-keys.ts";
import { classifyCallError, ForeignAnswerError, trpcCode } from "./errors.ts";
import { awayReason, ServerRotation, type ServerStatus, type ServerSwitch } from "./failover.ts";
import { fetchLogged, requestIdOfCall, traceCall } from "./request-ids.ts";

const log = logger("transport");

const requestTimeoutMs = 60_000;

/**
 * Each request ends after `timeoutMs`, or sooner when the caller's signal aborts (a daemon stopping
 * in the middle of a long poll). An answer that is not JSON never came from the API: it fails with its
 * HTTP status (ForeignAnswerError), which tells a proxy's error page from a server that is down.
 */
function createClient(serverUrl: string, token: () => string | null, timeoutMs = requestTimeoutMs) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${serverUrl}/api/trpc`,
        transformer: superjson,
        headers: () => {
          const value = token();
          const requestId = { "x-request-id": requestIdOfCall() };
          return value ? { ...requestId, authorization: `Bearer ${value}` } : requestId;
        },
        fetch: async (input, init) => {
          const request = init as RequestInit | undefined;
          const timeout = AbortSignal.timeout(timeoutMs);
          const response = await fetchLogged(input, {
            ...request,
            signal: request?.signal ? AbortSignal.any([request.signal, timeout]) : timeout,
          });
          const contentType = response.headers.get("content-type");
          if (!contentType?.toLowerCase().includes("json")) {
            await response.body?.cancel().catch(() => {});
            throw new ForeignAnswerError(response.status, contentType);
          }
          return response;
        },
      }),
    ],
  });
}
export type AgentClient = ReturnType<typeof createClient>;
type AgentProcedures = AgentClient["agent"];

/**
 * Registers with a registration token; the returned registration and server keys are saved by the
 * caller. With `fingerprint`, a server whose signing key does not match is refused before anything
 * is returned (see trust/pin-server-keys.ts). With several URLs (servers of one deployment) each is
 * tried in order while the one before is away (transport/failover.ts).
 */
export async function registerAgent(
  serverUrls: readonly string[],
  registrationToken: string,
  host: HostFacts,
  options: { fingerprint?: string } = {},
) {
  let registered: Awaited<ReturnType<AgentClient["agent"]["register"]["mutate"]>> | undefined;
  let serverUrl = serverUrls[0] ?? "";
  try {
    for (const [index, url] of serverUrls.entries()) {
      serverUrl = url;
      try {
        registered = await createClient(url, () => null).agent.register.mutate({ registrationToken, host });
        break;
      } catch (error) {
        const reason = awayReason(error);
        if (reason === null || index === serverUrls.length - 1) throw error;
        log.warn("Registration: {from} is away ({reason}), trying {to}", {
          from: url,
          reason,
          to: serverUrls[index + 1],
        });
      }
    }
    if (!registered) throw new Error("no server URL to register with");
  } catch (error) {
    const classified = classifyCallError(error, "the registration", serverUrl);
    if (classified.exitCode === exitCodes.badToken || trpcCode(error) === "NOT_FOUND") {
      throw new ExitError(
        `The server refused the registration token: ${(error as Error).message}. Ask an admin for a new token.`,
        { exitCode: exitCodes.badToken, cause: error },
      );
    }
    throw classified;
  }
  // The server has registered us, but nothing is kept unless its key is the one expected.
  const serverKeys = pinServerKeys(registered.signingKeys, registered.keyStatements, options.fingerprint);
  const registration: Registration = {
    agentId: registered.agentId,
    accessToken: registered.accessToken,
    accessTokenExpiresAt: registered.accessTokenExpiresAt,
    refreshToken: registered.refreshToken,
    refreshTokenExpiresAt: registered.refreshTokenExpiresAt,
    registeredAt: new Date(),
  };
  return { registration, pollIntervalSeconds: registered.pollIntervalSeconds, serverKeys, serverUrl };
}

/** A probe of the first server gets this long to answer. */
const probeTimeoutMs = 5_000;

/** Whether the server at `serverUrl` answers its health check (200 while its database answers). */
async function answersHealthCheck(serverUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${serverUrl}/api/health`, { signal: AbortSignal.timeout(probeTimeoutMs) });
    await response.body?.cancel().catch(() => {});
    return response.ok;
  } catch {
    return false;
  }
}

/** Renew access tokens this long before they expire, so a call never goes out with a stale one. */
const renewAheadMs = 5 * 60_000;

export type CallOptions = {
  /** For a call the server may hold open longer than the usual 60 s (a long poll). */
  timeoutMs?: number;
  /** The caller's stop: a call it ends is not taken for a server that went away. */
  signal?: AbortSignal;
};

/**
 * A client for the registered agent: adds the access token, renews it (rotating the refresh token,
 * saved at once) before expiry and on a 401, then retries the call once. With several server URLs, a
 * call whose server is away goes to the next (transport/failover.ts); each switch is logged.
 */
export class AgentConnection {
  /** Clients by server URL and timeout. */
  private readonly clients = new Map<string, AgentClient>();
  private renewing: Promise<void> | null = null;
  private readonly rotation: ServerRotation;
  private readonly probe: (serverUrl: string) => Promise<boolean>;

  constructor(
    private readonly config: RegisteredConfig,
    options: { probe?: (serverUrl: string) => Promise<boolean>; now?: () => number } = {},
  ) {
    this.rotation = new ServerRotation(
      serverUrlsOf(config.file),
      config.file.serverProbeSeconds * 1000,
      options.now,
    );
    this.probe = options.probe ?? answersHealthCheck;
  }

  private clientFor(serverUrl: string, timeoutMs: number | undefined): AgentClient {
    const timeout = timeoutMs === undefined || timeoutMs <= requestTimeoutMs ? requestTimeoutMs : timeoutMs;
    const key = `${timeout} ${serverUrl}`;
    let client = this.clients.get(key);
    if (!client) {
      client = createClient(serverUrl, () => this.config.file.registration.accessToken, timeout);
      this.clients.set(key, client);
    }
    return client;
  }

  /** The server calls go to now. */
  get serverUrl() {
    return this.rotation.current;
  }

  /** Which server calls go to, since when and why (for `--status`). */
  serverStatus(): ServerStatus {
    return this.rotation.status();
  }

  private switched(change: ServerSwitch | null) {
    if (change) log.warn("Switched server from {from} to {to}: {reason}", { ...change });
  }

  /** While on another server, asks the first now and then whether it answers, and goes back to it. */
  private async probeFirstServer() {
    if (!this.rotation.probeDue()) return;
    this.rotation.probed();
    const first = this.rotation.urls[0] as string;
    if (await this.probe(first)) this.switched(this.rotation.markAnswered(first));
  }

  /**
   * Runs `attempt` on the current server, and on the next ones while each is away. Throws the first
   * error that is not a server being away as it came, or, when all are away, a retryable ExitError.
   */
  private async onSomeServer<T>(
    what: string,
    attempt: (client: AgentClient) => Promise<T>,
    options: CallOptions,
  ): Promise<T> {
    const failures: string[] = [];
    let lastError: unknown;
    for (const url of this.rotation.order()) {
      try {
        const value = await attempt(this.clientFor(url, options.timeoutMs));
        this.switched(this.rotation.markAnswered(url));
        return value;
      } catch (error) {
        const reason = options.signal?.aborted ? null : awayReason(error);
        if (reason === null) throw error;
        failures.push(`${url}: ${reason}`);
        lastError = error;
        this.switched(this.rotation.markAway(url, reason));
      }
    }
    if (failures.length === 1) throw lastError;
    throw new ExitError(`Cannot reach any server (${what}): ${failures.join("; ")}`, {
      exitCode: exitCodes.serverUnreachable,
      retryable: true,
      cause: lastError,
    });
  }

  get agentId() {
    return this.config.file.registration.agentId;
  }

  async call<T>(
    what: string,
    run: (agent: AgentProcedures) => Promise<T>,
    options: CallOptions = {},
  ): Promise<T> {
    await this.probeFirstServer();
    if (this.config.file.registration.accessTokenExpiresAt.getTime() - Date.now() < renewAheadMs) {
      await this.renew();
    }
    try {
      return await this.onSomeServer(
        what,
        async (client) => {
          try {
            return await run(client.agent);
          } catch (error) {
            if (trpcCode(error) !== "UNAUTHORIZED") throw error;
          }
          // The server answered, refusing the token: renew it (on whichever server answers), then once more.
          await this.renew();
          return await run(client.agent);
        },
        options,
      );
    } catch (error) {
      throw classifyCallError(error, what, this.serverUrl);
    }
  }

  /**
   * `call`, also giving the request id the answer came under (sent as `x-request-id`: the id of the
   * server's log line for it). Every line logged during the call carries it.
   */
  async callTraced<T>(
    what: string,
    run: (agent: AgentProcedures) => Promise<T>,
    options: Parameters<AgentConnection["call"]>[2] = {},
  ): Promise<{ value: T; requestId: string }> {
    let requestId = "";
    const value = await this.call(
      what,
      async (agent) => {
        const traced = await traceCall(() => run(agent));
        requestId = traced.requestId;
        return traced.value;
      },
      options,
    );
    return { value, requestId };
  }

  /** One renewal at a time: concurrent callers wait for the same one (a refresh token is single-use). */
  renew(): Promise<void> {
    this.renewing ??= this.renewOnce().finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  private async renewOnce() {
    const registration = this.config.file.registration;
    let renewed: Awaited<ReturnType<AgentClient["agent"]["renew"]["mutate"]>>;
    try {
      renewed = await this.onSomeServer(
        "the token renewal",
        (client) =>
          client.agent.renew.mutate({
            agentId: registration.agentId,
            refreshToken: registration.refreshToken,
          }),
        {},
      );
    } catch (error) {
      const classified = classifyCallError(error, "the token renewal", this.serverUrl);
      if (classified.exitCode === exitCodes.badToken || trpcCode(error) === "NOT_FOUND") {
        throw new ExitError(
          `The server no longer accepts this agent's credentials (${(error as Error).message}). Register it again with --register.`,
          { exitCode: exitCodes.badToken, cause: error },
        );
      }
      throw classified;
    }
    const loaded: LoadedConfig = this.config;
    saveConfig(loaded, {
      ...this.config.file,
      registration: { ...registration, ...renewed },
    });
  }
}
