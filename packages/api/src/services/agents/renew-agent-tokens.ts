import type { AgentId } from "@redflag/contracts";
import { agentRefreshTokens, agents, type DatabaseOrTransaction } from "@redflag/db";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { hashToken } from "../../auth/tokens.ts";
import { AppError } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { issueAgentTokens } from "./issue-agent-tokens.ts";

/**
 * Swaps a refresh token for a new pair. A token works once: presenting a used one again means it was
 * copied, so the whole family is revoked, the agent's token generation is raised (its live access
 * tokens are refused at their next call) and the agent must register again.
 */
export async function renewAgentTokens(
  db: DatabaseOrTransaction,
  options: { agentId: AgentId; refreshToken: string; secret: string },
) {
  const now = new Date();
  const tokenHash = hashToken(options.refreshToken);
  const outcome = await db.transaction(async (tx) => {
    const [used] = await tx
      .update(agentRefreshTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(agentRefreshTokens.tokenHash, tokenHash),
          eq(agentRefreshTokens.agentId, options.agentId),
          isNull(agentRefreshTokens.usedAt),
          isNull(agentRefreshTokens.revokedAt),
          gt(agentRefreshTokens.expiresAt, now),
        ),
      )
      .returning({ familyId: agentRefreshTokens.familyId });
    if (used) {
      const [agent] = await tx
        .select({ tokenGeneration: agents.tokenGeneration })
        .from(agents)
        .where(eq(agents.id, options.agentId));
      if (!agent) return { kind: "unknown" as const };
      const tokens = await issueAgentTokens(tx, {
        agentId: options.agentId,
        generation: agent.tokenGeneration,
        familyId: used.familyId,
        secret: options.secret,
        now,
      });
      return { kind: "renewed" as const, tokens };
    }
    const [known] = await tx
      .select()
      .from(agentRefreshTokens)
      .where(
        and(eq(agentRefreshTokens.tokenHash, tokenHash), eq(agentRefreshTokens.agentId, options.agentId)),
      );
    if (!known) return { kind: "unknown" as const };
    if (known.usedAt && !known.revokedAt) {
      await tx
        .update(agentRefreshTokens)
        .set({ revokedAt: now })
        .where(and(eq(agentRefreshTokens.familyId, known.familyId), isNull(agentRefreshTokens.revokedAt)));
      await tx
        .update(agents)
        .set({ tokenGeneration: sql`${agents.tokenGeneration} + 1` })
        .where(eq(agents.id, options.agentId));
      await recordAuditEvents(tx, {
        actor: { type: "agent", agentId: options.agentId },
        entries: [
          {
            action: "agent.refresh_token_replayed",
            entityType: "agent",
            entityId: options.agentId,
            after: { familyId: known.familyId, revokedAt: now },
          },
        ],
      });
      return { kind: "replayed" as const };
    }
    return { kind: known.revokedAt ? ("revoked" as const) : ("expired" as const) };
  });
  switch (outcome.kind) {
    case "renewed":
      return outcome.tokens;
    case "replayed":
      throw new AppError(
        "UNAUTHORIZED",
        "Refresh token was already used: every token of this agent is now revoked; register the agent again",
      );
    case "revoked":
      throw new AppError("UNAUTHORIZED", "Refresh token was revoked; register the agent again");
    case "expired":
      throw new AppError("UNAUTHORIZED", "Refresh token has expired; register the agent again");
    case "unknown":
      throw new AppError("UNAUTHORIZED", "Refresh token not recognised");
  }
}
