import { type AgentId, newId, type RefreshTokenId } from "@redflag/contracts";
import { agentRefreshTokens, type DatabaseOrTransaction } from "@redflag/db";
import { hashToken, newSecretToken, signAccessToken, tokenPrefixes } from "../../auth/tokens.ts";
import { agentAccessTokenSeconds, refreshTokenSeconds } from "../../config.ts";

/**
 * A fresh access token (carrying the agent's current token generation) and a refresh token in
 * `familyId`, whose 90 days start again now.
 */
export async function issueAgentTokens(
  tx: DatabaseOrTransaction,
  options: { agentId: AgentId; generation: number; familyId: RefreshTokenId; secret: string; now: Date },
) {
  const accessTokenExpiresAt = new Date(options.now.getTime() + agentAccessTokenSeconds * 1000);
  const refreshTokenExpiresAt = new Date(options.now.getTime() + refreshTokenSeconds * 1000);
  const refreshToken = newSecretToken(tokenPrefixes.refreshToken);
  await tx.insert(agentRefreshTokens).values({
    id: newId("refreshToken"),
    agentId: options.agentId,
    familyId: options.familyId,
    tokenHash: hashToken(refreshToken),
    expiresAt: refreshTokenExpiresAt,
  });
  return {
    accessToken: signAccessToken(options.secret, {
      agentId: options.agentId,
      generation: options.generation,
      expiresAt: accessTokenExpiresAt,
    }),
    accessTokenExpiresAt,
    refreshToken,
    refreshTokenExpiresAt,
  };
}
