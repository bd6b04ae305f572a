/**
 * The check-in benchmark's baseline: the API's own handler on a bare `node:http` server, on the same
 * runtime as the production server (Node) and with the same Node request adapter as its agent path,
 * but no Next.js loaded at all. Bundled for Node by bench/checkin.ts; prints `listening <port>`.
 * Environment: DATABASE_URL, REDFLAG_SECRET.
 */
import { createServer } from "node:http";
import { createTrpcHandler, defaultRateLimits, serveNodeRequest, startApiServer } from "@redflag/api";
import { locateMigrationsFolder } from "@redflag/db";

const url = process.env.DATABASE_URL;
const secret = process.env.REDFLAG_SECRET;
if (!url || !secret) throw new Error("DATABASE_URL and REDFLAG_SECRET are required");
const maxBodyBytes = 5 * 1024 * 1024;
const api = await startApiServer({
  database: { driver: "postgres", url },
  config: {
    version: "0.1.0",
    secret,
    debug: false,
    maxBodyBytes,
    migrationsFolder: locateMigrationsFolder(process.cwd()),
    rateLimits: defaultRateLimits,
    trustProxy: false,
  },
});
const handler = createTrpcHandler(api, { onInternalError: (error) => console.error(error) });
const server = createServer((request, response) => {
  // What the production server's guard does: the peer is the last X-Forwarded-For hop.
  request.headers["x-forwarded-for"] = request.socket.remoteAddress ?? "unknown";
  void serveNodeRequest(handler, request, response, { maxBodyBytes });
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  console.log(`listening ${typeof address === "object" && address ? address.port : 0}`);
});
process.on("SIGTERM", () => {
  server.close();
  void api.stop().finally(() => process.exit(0));
});
