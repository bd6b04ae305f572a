import {
  checkInInput,
  checkInOutput,
  registerInput,
  registerOutput,
  renewInput,
  renewOutput,
  reportProgressInput,
  reportProgressOutput,
  reportResultInput,
  reportResultOutput,
  reportScanInput,
  reportScanOutput,
} from "@redflag/contracts";
import { defaultLongPollSeconds } from "../config.ts";
import { checkInAgent } from "../services/agents/check-in-agent.ts";
import { registerAgent } from "../services/agents/register-agent.ts";
import { renewAgentTokens } from "../services/agents/renew-agent-tokens.ts";
import { reportProgress } from "../services/commands/report-progress.ts";
import { reportResult } from "../services/commands/report-result.ts";
import { consumeRateLimit } from "../services/rate-limits/consume-rate-limit.ts";
import { reportScan } from "../services/scans/report-scan.ts";
import { agentHeartbeatProcedure, agentProcedure, publicProcedure } from "../trpc.ts";

/** The agent protocol: every call starts at the agent. */
export const agentRouter = {
  register: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/agents/register",
        tags: ["agent protocol"],
        summary: "Register an agent with a registration token",
        protect: false,
      },
    })
    .input(registerInput)
    .output(registerOutput)
    .mutation(async ({ ctx, input }) => {
      await consumeRateLimit(ctx.db, {
        key: `register:${ctx.request.address}`,
        rule: ctx.config.rateLimits.registerPerAddress,
        what: "registration",
      });
      const keys = await ctx.signingKeys.current();
      const registered = await registerAgent(ctx.db, { ...input, secret: ctx.config.secret });
      return {
        ...registered,
        signingKeys: keys.publicKeys,
        keyStatements: keys.statements.length > 0 ? keys.statements : undefined,
      };
    }),
  renew: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/agents/renew",
        tags: ["agent protocol"],
        summary: "Renew an agent's tokens with its refresh token",
        protect: false,
      },
    })
    .input(renewInput)
    .output(renewOutput)
    .mutation(async ({ ctx, input }) => {
      // Keyed by the caller's address, never by the agent id it names: a stranger naming R's id
      // spends only its own address's allowance, and made-up ids leave no rows behind.
      await consumeRateLimit(ctx.db, {
        key: `renew:${ctx.request.address}`,
        rule: ctx.config.rateLimits.renewPerAddress,
        what: "token renewal",
      });
      return renewAgentTokens(ctx.db, { ...input, secret: ctx.config.secret });
    }),
  checkIn: agentHeartbeatProcedure
    .input(checkInInput)
    .output(checkInOutput)
    .mutation(async ({ ctx, input }) => {
      const longPollSeconds = ctx.config.longPollSeconds ?? defaultLongPollSeconds;
      return checkInAgent(ctx.db, {
        agentId: ctx.agentId,
        tokenGeneration: ctx.agentTokenGeneration,
        ...input,
        waitSeconds: Math.min(input.waitSeconds, longPollSeconds),
        longPollSeconds,
        agentsDirectory: ctx.config.agentsDirectory,
        keys: await ctx.signingKeys.current(),
        heartbeats: ctx.heartbeats,
        wakeups: ctx.wakeups,
        signal: ctx.request.signal,
      });
    }),
  reportScan: agentProcedure
    .input(reportScanInput)
    .output(reportScanOutput)
    .mutation(({ ctx, input }) => reportScan(ctx.db, { agentId: ctx.agentId, report: input })),
  reportProgress: agentProcedure
    .input(reportProgressInput)
    .output(reportProgressOutput)
    .mutation(({ ctx, input }) => reportProgress(ctx.db, { agentId: ctx.agentId, ...input })),
  reportResult: agentProcedure
    .input(reportResultInput)
    .output(reportResultOutput)
    .mutation(({ ctx, input }) =>
      reportResult(ctx.db, { agentId: ctx.agentId, result: input, observeResult: ctx.metrics.observeResult }),
    ),
};
