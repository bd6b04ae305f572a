import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { type AgentId, idSchema } from "@redflag/contracts";
import { agentAccessTokenSeconds } from "../config.ts";

export const tokenPrefixes = {
  apiToken: "rf_pat_",
  registrationToken: "rf_reg_",
  accessToken: "rf_at_",
  refreshToken: "rf_rt_",
} as const;

/** A new secret token: a readable prefix and 256 random bits. */
export function newSecretToken(prefix: string): string {
  return prefix + randomBytes(32).toString("base64url");
}

/** Tokens are stored only as their SHA-256; they are high-entropy, so no slow hash is needed. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function displayPrefixOf(token: string): string {
  return `${token.slice(0, 12)}…`;
}

/**
 * Access tokens are signed, not stored: `rf_at_<agent id>.<token generation>.<expiry seconds>.<HMAC>`.
 * The generation is the agent's `token_generation` when the token was issued: raising it refuses
 * every live token of the agent in the lookup each agent call already makes.
 */
export function signAccessToken(
  secret: string,
  token: { agentId: AgentId; generation: number; expiresAt: Date },
): string {
  const payload = `${token.agentId}.${token.generation}.${Math.floor(token.expiresAt.getTime() / 1000)}`;
  return `${tokenPrefixes.accessToken}${payload}.${sign(secret, payload)}`;
}

export type AccessTokenCheck =
  | { valid: true; agentId: AgentId; generation: number; expiresAt: Date }
  | { valid: false; reason: "malformed" | "bad_signature" | "expired" | "implausible_expiry" };

/** Leeway for clocks of several server instances that disagree a little. */
const clockSkewSeconds = 300;

export function verifyAccessToken(secret: string, token: string, now: Date): AccessTokenCheck {
  if (!token.startsWith(tokenPrefixes.accessToken)) return { valid: false, reason: "malformed" };
  const parts = token.slice(tokenPrefixes.accessToken.length).split(".");
  const [agentIdText, generation, expiry, signature] = parts;
  const agentId = idSchema("agent").safeParse(agentIdText);
  if (
    parts.length !== 4 ||
    !agentId.success ||
    !generation ||
    !expiry ||
    !signature ||
    !/^\d{1,9}$/.test(generation) ||
    !/^\d{1,12}$/.test(expiry)
  ) {
    return { valid: false, reason: "malformed" };
  }
  const expected = Buffer.from(sign(secret, `${agentId.data}.${generation}.${expiry}`));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { valid: false, reason: "bad_signature" };
  }
  const expiresAt = new Date(Number(expiry) * 1000);
  if (expiresAt <= now) return { valid: false, reason: "expired" };
  // We never issue a token living longer than this: one that claims to was not issued by this server
  // as configured now (a leaked secret, or an old build), so it is refused rather than trusted for years.
  if (expiresAt.getTime() > now.getTime() + (agentAccessTokenSeconds + clockSkewSeconds) * 1000) {
    return { valid: false, reason: "implausible_expiry" };
  }
  return { valid: true, agentId: agentId.data, generation: Number(generation), expiresAt };
}

function sign(secret: string, payload: string): string {
  return createHmac("sha256", secret).update(payload).digest("base64url");
}
