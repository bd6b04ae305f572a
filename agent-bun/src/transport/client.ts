// biome-ignore lint/style/noRestrictedImports: the router type only; erased at build, no server code reaches the binary.
import type { AppRouter } from "@redflag/api";
import type { HostFacts } from "@redflag/contracts";
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import { type LoadedConfig, type RegisteredConfig, type Registration, saveConfig } from "../config/config.ts";
import { ExitError, exitCodes } from "../errors.ts";
import { pinServerKeys } from "../trust/pin-server-keys.ts";
import { classifyCallError, ForeignAnswerError, trpcCode } from "./errors.ts";
import { fetchLogged, requestIdOfCall, traceCall } from "./request-ids.ts";

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
 * is returned (see trust/pin-server-keys.ts).
 */
export async function registerAgent(
  serverUrl: string,
  registrationToken: string,
  host: HostFacts,
  options: { fingerprint?: string } = {},
) {
  const client = createClient(serverUrl, () => null);
  let registered: Awaited<ReturnType<AgentClient["agent"]["register"]["mutate"]>>;
  try {
    registered = await client.agent.register.mutate({ registrationToken, host });
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
  return { registration, pollIntervalSeconds: registered.pollIntervalSeconds, serverKeys };
}

/** Renew access tokens this long before they expire, so a call never goes out with a stale one. */
const renewAheadMs = 5 * 60_000;

/**
 * A client for the registered agent: adds the access token, renews it (rotating the refresh token,
 * saved at once) before expiry and on a 401, then retries the call once.
 */
export class AgentConnection {
  private readonly client: AgentClient;
  /** Clients for calls that may take longer than usual (long polls), by their timeout. */
  private readonly slowClients = new Map<number, AgentClient>();
  private renewing: Promise<void> | null = null;

  constructor(private readonly config: RegisteredConfig) {
    this.client = this.createClient();
  }

  private createClient(timeoutMs?: number) {
    return createClient(
      this.config.file.serverUrl,
      () => this.config.file.registration.accessToken,
      timeoutMs,
    );
  }

  private clientFor(timeoutMs: number | undefined): AgentClient {
    if (timeoutMs === undefined || timeoutMs <= requestTimeoutMs) return this.client;
    let client = this.slowClients.get(timeoutMs);
    if (!client) {
      client = this.createClient(timeoutMs);
      this.slowClients.set(timeoutMs, client);
    }
    return client;
  }

  get serverUrl() {
    return this.config.file.serverUrl;
  }

  get agentId() {
    return this.config.file.registration.agentId;
  }

  /** `timeoutMs`: for a call the server may hold open longer than the usual 60 s (a long poll). */
  async call<T>(
    what: string,
    run: (agent: AgentProcedures) => Promise<T>,
    options: { timeoutMs?: number } = {},
  ): Promise<T> {
    const client = this.clientFor(options.timeoutMs);
    if (this.config.file.registration.accessTokenExpiresAt.getTime() - Date.now() < renewAheadMs) {
      await this.renew();
    }
    try {
      return await run(client.agent);
    } catch (error) {
      if (trpcCode(error) !== "UNAUTHORIZED") throw classifyCallError(error, what, this.serverUrl);
    }
    await this.renew();
    try {
      return await run(client.agent);
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
      renewed = await this.client.agent.renew.mutate({
        agentId: registration.agentId,
        refreshToken: registration.refreshToken,
      });
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
