import { hasRole, type Role } from "@redflag/contracts";
import { agents, apiTokens, type Database, type DatabaseDriver, users } from "@redflag/db";
import { initTRPC, TRPCError } from "@trpc/server";
import { and, eq, gt, isNull, or } from "drizzle-orm";
import superjson from "superjson";
import type { OpenApiMeta } from "trpc-to-openapi";
import { ZodError } from "zod";
import type { AdminActor } from "./actor.ts";
import type { AdminSessions } from "./auth/admin-sessions.ts";
import { crossSiteRefusal } from "./auth/origin.ts";
import { hashToken, tokenPrefixes, verifyAccessToken } from "./auth/tokens.ts";
import type { ServerConfig } from "./config.ts";
import { internalErrorMessage, toClientError } from "./errors.ts";
import type { DebugMode } from "./logging/debug-mode.ts";
import { withLogContext } from "./logging/logger.ts";
import type { ServerMetrics } from "./metrics/server-metrics.ts";
import type { Caller, RequestObserver } from "./observability/requests.ts";
import type { Scheduler } from "./scheduler/scheduler.ts";
import type { CommandWakeups } from "./services/agents/command-wakeups.ts";
import type { HeartbeatWriter } from "./services/agents/heartbeats.ts";
import type { SigningKeys } from "./services/signing/signing-keys.ts";

/** Everything built once at server start and shared by all requests. */
export type ApiDependencies = {
  db: Database;
  driver: DatabaseDriver;
  ping: () => Promise<number>;
  config: ServerConfig;
  sessions: { secure: AdminSessions; plain: AdminSessions };
  /** The Ed25519 keys that sign commands and the agent downloads. */
  signingKeys: SigningKeys;
  /** Wakes long-poll check-ins when a command for their agent is queued. */
  wakeups: CommandWakeups;
  /** Agents' heartbeats, written by group commit. */
  heartbeats: HeartbeatWriter;
  /** The one scheduler (policies, windows, notifications); `requestRun` makes a job due now. */
  scheduler: Scheduler;
  /** The Prometheus registry of this server (metrics/). */
  metrics: ServerMetrics;
  /** Debug logs on or off (the setting, REDFLAG_DEBUG); told to agents at check-in. */
  debugMode: DebugMode;
  /** Told of every answered request (the request log, the metrics). */
  requestObservers: RequestObserver[];
  startedAt: Date;
};

export type RequestInfo = {
  address: string;
  secure: boolean;
  authorization: string | null;
  cookie: string | null;
  origin: string | null;
  host: string | null;
  /** Aborted when the client goes away (a long poll stops waiting then); absent for in-process calls. */
  signal?: AbortSignal | null;
  /** The id the HTTP handler gave the request (the client's own x-request-id when sane); else a new one. */
  requestId?: string;
};

export type Context = ApiDependencies & {
  request: RequestInfo;
  /** Names this request in the server log and in the answer to a failure, so the two can be matched. */
  requestId: string;
  /** Who is calling; filled in by the authentication middleware, read when the request is logged. */
  caller: Caller;
  /** Headers added to the response (Set-Cookie). */
  responseHeaders: Headers;
  adminSessions: AdminSessions;
};

export function createContext(
  dependencies: ApiDependencies,
  request: RequestInfo,
  responseHeaders: Headers,
): Context {
  return {
    ...dependencies,
    request,
    requestId: request.requestId ?? crypto.randomUUID(),
    caller: { kind: "anonymous", id: null },
    responseHeaders,
    adminSessions: request.secure ? dependencies.sessions.secure : dependencies.sessions.plain,
  };
}

/** Who may call a procedure; read by the access test that walks every procedure. */
export type Access = "public" | "agent" | Role;
/**
 * `openapi`: the procedure is also served under /api/v1 (rest/), described in the OpenAPI document.
 * `access` is set by the procedure tiers below, so a procedure's own `.meta({ openapi })` need not repeat it.
 */
export type Meta = { access?: Access } & OpenApiMeta;

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer: superjson,
    isDev: false,
    // What a client sees of an error: never a database message, SQL, parameters or a stack. An internal
    // error says only where to look in the server log; the middleware below has mapped the ones a
    // caller can act on (database unreachable, a value it cannot store) to their own codes.
    errorFormatter({ shape, error, ctx }) {
      const fields =
        error.cause instanceof ZodError
          ? error.cause.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }))
          : null;
      const requestId = ctx?.requestId ?? null;
      const { stack: _stack, ...data } = shape.data;
      let message = shape.message;
      if (fields) {
        message = `Invalid input: ${fields.map((field) => `${field.path || "(input)"}: ${field.message}`).join("; ")}`;
      } else if (error.code === "INTERNAL_SERVER_ERROR") {
        message = internalErrorMessage(requestId);
      }
      return { ...shape, message, data: { ...data, fields, requestId } };
    },
  });

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Every procedure's first step: a failure further down (a database error, a bug) becomes the error the
 * client may see (errors.ts), keeping the original as its cause for the server log.
 */
const guardedProcedure = t.procedure.use(async ({ ctx, next }) => {
  const result = await next();
  return result.ok ? result : { ...result, error: toClientError(result.error, ctx.requestId) };
});

export const publicProcedure = guardedProcedure.meta({ access: "public" });

function bearerToken(request: RequestInfo): string | null {
  const header = request.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
}

async function resolveAdmin(ctx: Context): Promise<AdminActor | null> {
  const token = bearerToken(ctx.request);
  if (token) {
    if (!token.startsWith(tokenPrefixes.apiToken)) return null;
    const now = new Date();
    const [row] = await ctx.db
      .select({ tokenId: apiTokens.id, userId: users.id, tokenRole: apiTokens.role, userRole: users.role })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(
        and(
          eq(apiTokens.tokenHash, hashToken(token)),
          isNull(apiTokens.revokedAt),
          isNull(users.disabledAt),
          or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)),
        ),
      );
    if (!row) return null;
    await ctx.db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.tokenId));
    // A token never outranks its owner, even if the owner was demoted after creating it.
    const role = hasRole(row.userRole, row.tokenRole) ? row.tokenRole : row.userRole;
    ctx.caller = { kind: "api_token", id: row.tokenId };
    return { type: "api_token", tokenId: row.tokenId, userId: row.userId, role };
  }
  const sessionToken = ctx.adminSessions.readSessionToken(ctx.request.cookie);
  if (!sessionToken) return null;
  const validated = await ctx.adminSessions.validate(sessionToken);
  if (!validated) {
    ctx.responseHeaders.append("Set-Cookie", ctx.adminSessions.blankCookie());
    return null;
  }
  if (validated.refreshedCookie) ctx.responseHeaders.append("Set-Cookie", validated.refreshedCookie);
  ctx.caller = { kind: "user", id: validated.user.id };
  return {
    type: "user",
    userId: validated.user.id,
    username: validated.user.username,
    role: validated.user.role,
    sessionId: validated.session.id,
  };
}

/** Admin callers (browser session or API token) holding at least `role`. */
export function adminProcedure(role: Role) {
  return guardedProcedure.meta({ access: role }).use(async ({ ctx, type, next }) => {
    const actor = await resolveAdmin(ctx);
    if (!actor) {
      throw new TRPCError({ code: "UNAUTHORIZED", message: "Log in or send a valid API token" });
    }
    // A cookie-authenticated change must come from our own pages (API tokens are not sent by browsers).
    const refusal = actor.type === "user" && type === "mutation" ? crossSiteRefusal(ctx.request) : null;
    if (refusal) throw new TRPCError({ code: "FORBIDDEN", message: refusal });
    if (!hasRole(actor.role, role)) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `This needs the ${role} role; you are ${actor.role}`,
      });
    }
    return next({ ctx: { actor } });
  });
}

/** Callers holding a valid agent access token; whether the agent still exists is not yet checked. */
const agentTokenProcedure = guardedProcedure.meta({ access: "agent" }).use(async ({ ctx, next }) => {
  const token = bearerToken(ctx.request);
  if (!token) throw new TRPCError({ code: "UNAUTHORIZED", message: "Send the agent access token" });
  const check = verifyAccessToken(ctx.config.secret, token, new Date());
  if (!check.valid) {
    throw new TRPCError({
      code: "UNAUTHORIZED",
      message:
        check.reason === "expired" ? "Access token expired: renew it" : "Access token is not valid: renew it",
    });
  }
  ctx.caller = { kind: "agent", id: check.agentId };
  // Every line the call logs from here on names its agent.
  return withLogContext({ agentId: check.agentId }, () =>
    next({
      ctx: {
        agentId: check.agentId,
        agentTokenGeneration: check.generation,
        actor: { type: "agent" as const, agentId: check.agentId },
      },
    }),
  );
});

/**
 * For check-in only, the hottest path: its own first statement updates the agent's row only when the
 * agent exists with the token's generation and answers UNAUTHORIZED otherwise, so the separate lookup
 * is skipped.
 */
export const agentHeartbeatProcedure = agentTokenProcedure;

/**
 * Registered agents, by their access token; `ctx.agentId` is the only agent they can touch. A token
 * whose generation is no longer the agent's (its family was revoked) is refused like a deleted agent's.
 */
export const agentProcedure = agentTokenProcedure.use(async ({ ctx, next }) => {
  const [agent] = await ctx.db
    .select({ id: agents.id })
    .from(agents)
    .where(and(eq(agents.id, ctx.agentId), eq(agents.tokenGeneration, ctx.agentTokenGeneration)));
  if (!agent) {
    throw new TRPCError({
      code: "UNAUTHORIZED",
      message: "This access token was revoked, or the agent is no longer registered: renew the token",
    });
  }
  return next();
});
