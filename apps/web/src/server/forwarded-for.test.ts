import { describe, expect, test } from "bun:test";
import type { IncomingMessage } from "node:http";
import { rewriteForwardedFor } from "./forwarded-for.ts";

function requestFrom(peer: string | undefined, forwardedFor?: string): IncomingMessage {
  const headers: Record<string, string> = forwardedFor ? { "x-forwarded-for": forwardedFor } : {};
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

describe("rewriteForwardedFor", () => {
  test("without a trusted proxy a client cannot choose its address", () => {
    const request = requestFrom("203.0.113.7", "10.0.0.1");
    rewriteForwardedFor(request, false);
    expect(request.headers["x-forwarded-for"]).toBe("203.0.113.7");
  });

  test("behind a trusted proxy the peer is appended to the chain", () => {
    const request = requestFrom("192.168.1.2", "198.51.100.4");
    rewriteForwardedFor(request, true);
    expect(request.headers["x-forwarded-for"]).toBe("198.51.100.4, 192.168.1.2");
  });

  test("a direct request gets the peer's address", () => {
    const request = requestFrom("203.0.113.7");
    rewriteForwardedFor(request, true);
    expect(request.headers["x-forwarded-for"]).toBe("203.0.113.7");
  });

  test("without a peer address and no trusted proxy, a claimed address is dropped", () => {
    const request = requestFrom(undefined, "10.0.0.1");
    rewriteForwardedFor(request, false);
    expect(request.headers["x-forwarded-for"]).toBeUndefined();
  });
});
