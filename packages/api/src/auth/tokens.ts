import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { type AgentId, idSchema } from "@redflag/contracts";

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

/** Access tokens are signed, not stored: `rf_at_<agent id>.<expiry seconds>.<HMAC>`. */
export function signAccessToken(secret: string, agentId: AgentId, expiresAt: Date): string {
  const payload = `${agentId}.${Math.floor(expiresAt.getTime() / 1000)}`;
  return `${tokenPrefixes.accessToken}${payload}.${sign(secret, payload)}`;
}

export type AccessTokenCheck =
  | { valid: true; agentId: AgentId; expiresAt: Date }
  | { valid: false; reason: "malformed" | "bad_signature" | "expired" };

export function verifyAccessToken(secret: string, token: string, now: Date): AccessTokenCheck {
  if (!token.startsWith(tokenPrefixes.accessToken)) return { valid: false, reason: "malformed" };
  const parts = token.slice(tokenPrefixes.accessToken.length).split(".");
  const [agentIdText, expiry, signature] = parts;
  const agentId = idSchema("agent").safeParse(agentIdText);
  if (parts.length !== 3 || !agentId.success || !expiry || !signature || !/^\d+$/.test(expiry)) {
    return { valid: false, reason: "malformed" };
  }
  const expected = Buffer.from(sign(secret, `${agentId.data}.${expiry}`));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { valid: false, reason: "bad_signature" };
  }
  const expiresAt = new Date(Number(expiry) * 1000);
  if (expiresAt <= now) return { valid: false, reason: "expired" };
  return { valid: true, agentId: agentId.data, expiresAt };
}

function sign(secret: string, payload: string): string {
  return createHmac("sha256", secret).update(payload).digest("base64url");
}
