import { type IncomingMessage, Server } from "node:http";

const installed = Symbol.for("redflag.forwardedForGuard");

/**
 * The API rate-limits by the address in X-Forwarded-For, trusting its last hop unless a proxy is
 * trusted. Next only fills that header when a request has none, so any client could pick its own
 * address. Before Next sees a request, make the header say what our socket saw: without a trusted
 * proxy it is exactly the peer's address; behind one, the peer is appended as a proxy would do.
 */
export function installForwardedForGuard(options: { trustProxy: boolean }): void {
  const prototype = Server.prototype as Server & { [installed]?: true };
  if (prototype[installed]) return;
  prototype[installed] = true;
  const emit = prototype.emit;
  prototype.emit = function emitWithHonestForwardedFor(
    this: Server,
    event: string | symbol,
    ...args: unknown[]
  ) {
    if (event === "request") rewriteForwardedFor(args[0] as IncomingMessage, options.trustProxy);
    return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
  };
}

export function rewriteForwardedFor(request: IncomingMessage, trustProxy: boolean): void {
  const peer = request.socket.remoteAddress;
  const claimed = request.headers["x-forwarded-for"];
  const chain = [trustProxy ? claimed : undefined, peer].filter(Boolean).join(", ");
  if (chain) request.headers["x-forwarded-for"] = chain;
  else delete request.headers["x-forwarded-for"];
}
