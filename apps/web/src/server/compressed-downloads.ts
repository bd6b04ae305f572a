import { createReadStream, existsSync, statSync } from "node:fs";
import { type IncomingMessage, Server, type ServerResponse } from "node:http";
import { errorProperties, serverLogger } from "@redflag/api";
import { nonDocumentPolicy, securityHeaders } from "~/security-headers";
import { agentFiles, agentsDirectory, builtFile, digestOf, etagMatches } from "~/server/download-files";

const installed = Symbol.for("redflag.compressedDownloads");

/**
 * Agent binaries compressed for clients that accept gzip (about half the bytes). Next drops
 * Content-Length and Content-Encoding from a route handler's answer, so these answers are written at
 * the Node server before Next sees the request; every other request, and a binary without its
 * up-to-date `.gz` from `bun run build:agents`, goes on to Next's /downloads route.
 */
export function installCompressedDownloads(): void {
  const prototype = Server.prototype as Server & { [installed]?: true };
  if (prototype[installed]) return;
  prototype[installed] = true;
  const emit = prototype.emit;
  prototype.emit = function emitWithCompressedDownloads(
    this: Server,
    event: string | symbol,
    ...args: unknown[]
  ) {
    if (event === "request") {
      const request = args[0] as IncomingMessage;
      const response = args[1] as ServerResponse;
      const file = compressedFileFor(request);
      if (file) {
        void serveCompressed(request, response, file);
        return true;
      }
    }
    return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
  };
}

type CompressedFile = {
  name: string;
  path: string;
  size: number;
  modified: number;
  gzipPath: string;
  gzipSize: number;
};

/** The compressed file to answer with, or null to leave the request to Next. */
export function compressedFileFor(request: IncomingMessage): CompressedFile | null {
  if (request.method !== "GET" && request.method !== "HEAD") return null;
  const match = /^\/downloads\/([^/?#]+)(?:\?.*)?$/.exec(request.url ?? "");
  const name = match?.[1];
  if (!name || !(agentFiles as readonly string[]).includes(name)) return null;
  if (!acceptsGzip(request.headers["accept-encoding"])) return null;
  const built = builtFile(agentsDirectory(), name);
  if (!built) return null;
  const gzipPath = `${built.path}.gz`;
  const gzip = existsSync(gzipPath) ? statSync(gzipPath) : null;
  // A .gz older than its binary belongs to an earlier build.
  if (!gzip?.isFile() || gzip.mtimeMs < built.modified) return null;
  return { ...built, gzipPath, gzipSize: gzip.size };
}

/** Whether Accept-Encoding allows gzip: `gzip` or `*` with a quality above 0. */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(",").some((part) => {
    const [coding = "", ...parameters] = part.trim().toLowerCase().split(";");
    if (coding.trim() !== "gzip" && coding.trim() !== "*") return false;
    const quality = parameters.map((parameter) => /^\s*q=([0-9.]+)\s*$/.exec(parameter)?.[1]).find(Boolean);
    return quality === undefined || Number(quality) > 0;
  });
}

async function serveCompressed(request: IncomingMessage, response: ServerResponse, file: CompressedFile) {
  try {
    // The checksum is of the binary itself, what the client has after decompressing.
    const digest = await digestOf(file.path, file.size, file.modified);
    const etag = `"${digest.hex}-gzip"`;
    for (const header of [...securityHeaders, nonDocumentPolicy])
      response.setHeader(header.key, header.value);
    response.setHeader("vary", "Accept-Encoding");
    response.setHeader("etag", etag);
    response.setHeader("x-checksum-sha256", digest.hex);
    response.setHeader("cache-control", "no-cache");
    if (etagMatches(request.headers["if-none-match"], etag)) {
      response.writeHead(304).end();
      return;
    }
    response.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-encoding": "gzip",
      "content-length": String(file.gzipSize),
      "content-disposition": `attachment; filename="${file.name}"`,
    });
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    const stream = createReadStream(file.gzipPath);
    // A client that leaves mid-download closes the response; the file is closed with it.
    response.once("close", () => stream.destroy());
    stream.once("error", () => response.destroy());
    stream.pipe(response);
  } catch (error) {
    serverLogger("downloads").error("Could not serve a compressed download", {
      error: errorProperties(error),
    });
    if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
    response.end("The download failed on the server\n");
  }
}
