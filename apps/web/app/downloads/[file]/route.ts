import {
  agentFiles,
  agentsDirectory,
  builtFile,
  checksumsFile,
  digestOf,
  etagMatches,
  fileStream,
} from "~/server/download-files";
import {
  checksumsBytes,
  checksumsSignature,
  checksumsSignatureFile,
  signingKeyFile,
  signingKeyPem,
} from "~/server/download-signatures";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

function notFound(message: string): Response {
  return new Response(`${message}\n`, {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

/** The one answer to a conditional request whose ETag still matches. */
function notModified(request: Request, etag: string, headers: Record<string, string>): Response | null {
  return etagMatches(request.headers.get("if-none-match"), etag)
    ? new Response(null, { status: 304, headers: { etag, ...headers } })
    : null;
}

/**
 * GET /downloads/<binary> (with its SHA-256 in headers and as its ETag), /downloads/<binary>.sha256,
 * /downloads/SHA256SUMS, its signature SHA256SUMS.sig (raw Ed25519, by the server's active key) or
 * that key as signing-key.pem.
 *
 * Sent as it is: Next (16.4, server/send-response.js) drops Content-Length and Content-Encoding from
 * a route handler's answer, so a client that accepts gzip gets the binary compressed before Next
 * sees the request (compressed-downloads.ts); this route answers everyone else.
 */
export async function GET(
  request: Request,
  context: { params: Promise<{ file: string }> },
): Promise<Response> {
  const { file } = await context.params;
  const directory = agentsDirectory();
  if (file === checksumsFile) return checksums(directory);
  if (file === checksumsSignatureFile) return checksumsSigned(directory);
  if (file === signingKeyFile)
    return new Response(await signingKeyPem(), {
      headers: { "content-type": "application/x-pem-file", "cache-control": "no-cache" },
    });
  const checksumOnly = file.endsWith(".sha256");
  const name = checksumOnly ? file.slice(0, -".sha256".length) : file;
  if (!(agentFiles as readonly string[]).includes(name)) return notFound("No such download");
  const built = builtFile(directory, name);
  if (!built) return notFound(`${name} has not been built on this server (bun run build:agents)`);
  const digest = await digestOf(built.path, built.size, built.modified);
  const checksumHeaders = {
    "x-checksum-sha256": digest.hex,
    "repr-digest": `sha-256=:${digest.base64}:`,
    "cache-control": "no-cache",
  };
  if (checksumOnly) {
    return new Response(`${digest.hex}  ${name}\n`, {
      headers: { "content-type": "text/plain; charset=utf-8", ...checksumHeaders },
    });
  }
  const etag = `"${digest.hex}"`;
  const unchanged = notModified(request, etag, checksumHeaders);
  if (unchanged) return unchanged;
  return new Response(fileStream(built.path), {
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(built.size),
      "content-disposition": `attachment; filename="${name}"`,
      etag,
      ...checksumHeaders,
    },
  });
}

/** `sha256sum -c` input for every binary built on this server. */
async function checksums(directory: string | null): Promise<Response> {
  const sums = await checksumsBytes(directory);
  if (!sums) return notFound("No agent binaries have been built on this server (bun run build:agents)");
  return new Response(sums, {
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-cache" },
  });
}

/** The signature over exactly the bytes /downloads/SHA256SUMS answers with at this moment. */
async function checksumsSigned(directory: string | null): Promise<Response> {
  const sums = await checksumsBytes(directory);
  if (!sums) return notFound("No agent binaries have been built on this server (bun run build:agents)");
  return new Response(await checksumsSignature(sums), {
    headers: { "content-type": "application/octet-stream", "cache-control": "no-cache" },
  });
}
