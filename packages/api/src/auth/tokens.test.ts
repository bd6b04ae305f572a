import { describe, expect, test } from "bun:test";
import type { AgentId } from "@redflag/contracts";
import { agentAccessTokenSeconds } from "../config.ts";
import { hashToken, newSecretToken, signAccessToken, verifyAccessToken } from "./tokens.ts";

const secret = "unit-test-secret-unit-test-secret";
const agentId = "agt_01jd0000000000000000000000" as AgentId;

describe("agent access tokens", () => {
  test("a signed token verifies, with its generation, until it expires", () => {
    const expiresAt = new Date(Date.now() + 60_000);
    const token = signAccessToken(secret, { agentId, generation: 3, expiresAt });
    const check = verifyAccessToken(secret, token, new Date());
    expect(check).toEqual({
      valid: true,
      agentId,
      generation: 3,
      expiresAt: new Date(Math.floor(expiresAt.getTime() / 1000) * 1000),
    });
    expect(verifyAccessToken(secret, token, new Date(expiresAt.getTime() + 1000))).toEqual({
      valid: false,
      reason: "expired",
    });
  });

  test("a token signed with another secret, or altered, is refused", () => {
    const token = signAccessToken(secret, {
      agentId,
      generation: 0,
      expiresAt: new Date(Date.now() + 60_000),
    });
    expect(verifyAccessToken("another-secret-another-secret-xx", token, new Date())).toEqual({
      valid: false,
      reason: "bad_signature",
    });
    const otherAgent = token.replace(agentId, "agt_01jd0000000000000000000001");
    expect(verifyAccessToken(secret, otherAgent, new Date())).toEqual({
      valid: false,
      reason: "bad_signature",
    });
    const later = token.replace(
      /\.(\d+)\.(?=[^.]+$)/,
      (_match, seconds: string) => `.${Number(seconds) + 3600}.`,
    );
    expect(verifyAccessToken(secret, later, new Date())).toEqual({ valid: false, reason: "bad_signature" });
    const newerGeneration = token.replace(`${agentId}.0.`, `${agentId}.1.`);
    expect(verifyAccessToken(secret, newerGeneration, new Date())).toEqual({
      valid: false,
      reason: "bad_signature",
    });
  });

  test("a correctly signed token that claims to live longer than any we issue is refused", () => {
    const now = new Date();
    const longest = new Date(now.getTime() + agentAccessTokenSeconds * 1000);
    expect(
      verifyAccessToken(secret, signAccessToken(secret, { agentId, generation: 0, expiresAt: longest }), now),
    ).toMatchObject({ valid: true });
    for (const expiresAt of [
      new Date(now.getTime() + 2 * agentAccessTokenSeconds * 1000),
      new Date(8.64e15),
    ]) {
      expect(
        verifyAccessToken(secret, signAccessToken(secret, { agentId, generation: 0, expiresAt }), now),
      ).toEqual({
        valid: false,
        reason: expiresAt.getTime() > 1e15 ? "malformed" : "implausible_expiry",
      });
    }
  });

  test("malformed tokens are refused", () => {
    for (const token of [
      "",
      "rf_at_",
      "rf_at_a.b",
      "rf_at_a.notanumber.sig",
      "rf_pat_x.1.y",
      `rf_at_${agentId}.1.2`,
      `rf_at_${agentId}.x.2.sig`,
      `rf_at_${agentId}.1.2.3.4`,
      `rf_at_${agentId}.1.${"9".repeat(400)}.sig`,
    ]) {
      expect(verifyAccessToken(secret, token, new Date())).toEqual({ valid: false, reason: "malformed" });
    }
  });
});

describe("secret tokens", () => {
  test("are random, prefixed, and hashed to 64 hex characters", () => {
    const first = newSecretToken("rf_pat_");
    const second = newSecretToken("rf_pat_");
    expect(first).toStartWith("rf_pat_");
    expect(first).not.toBe(second);
    expect(first.length).toBe("rf_pat_".length + 43);
    expect(hashToken(first)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(first)).not.toBe(hashToken(second));
  });
});
