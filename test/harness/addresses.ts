import { type AppRouter, createTrpcHandler } from "@redflag/api";
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import type { Credentials, TestServer } from "./server.ts";

/**
 * A typed client whose requests reach the server's handler as if from `address` (the front server
 * writes the peer address as the last X-Forwarded-For hop), so tests can speak from several hosts.
 */
export function clientFrom(server: TestServer, address: string, credentials: Credentials = {}) {
  const handler = createTrpcHandler(server.api, {
    onInternalError: (error) => console.error("internal error in test handler:", error),
  });
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${server.url}/api/trpc`,
        transformer: superjson,
        headers: () => ({
          "x-forwarded-for": address,
          ...(credentials.cookie ? { cookie: credentials.cookie, origin: new URL(server.url).origin } : {}),
          ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}),
        }),
        fetch: (input, init) => handler(new Request(input as string, init as RequestInit)),
      }),
    ],
  });
}
