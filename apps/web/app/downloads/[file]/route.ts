import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { digestOf, fileStream } from "../download-files";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The only files served: the agent binaries `bun run build:agents` writes (agent-bun/build.ts). */
const agentFiles = [
  "redflag-agent-linux-x64",
  "redflag-agent-linux-arm64",
  "redflag-agent-windows-x64.exe",
] as const;
const checksumsFile = "SHA256SUMS";

/** dist/agents of the checkout the server runs from (`next start` runs in apps/web). */
function agentsDirectory(): string | null {
  let directory = process.cwd();
  for (let depth = 0; depth < 4; depth++) {
    const candidate = join(directory, "dist", "agents");
    if (existsSync(candidate)) return candidate;
    directory = dirname(directory);
  }
  return null;
}

type BuiltFile = { name: string; path: string; size: number; modified: number };

function builtFile(directory: string | null, name: string): BuiltFile | null {
  if (!directory) return null;
  const path = join(directory, name);
  const stats = existsSync(path) ? statSync(path) : null;
  if (!stats?.isFile()) return null;
  return { name, path, size: stats.size, modified: stats.mtimeMs };
}

function notFound(message: string): Response {
  return new Response(`${message}\n`, {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

/** The one answer to a conditional request whose ETag still matches. */
function notModified(request: Request, etag: string, headers: Record<string, string>): Response | null {
  const condition = request.headers.get("if-none-match");
  if (!condition) return null;
  const matches = condition.split(",").some((tag) => tag.trim() === etag || tag.trim() === "*");
  return matches ? new Response(null, { status: 304, headers: { etag, ...headers } }) : null;
}

/**
 * GET /downloads/<binary> (with its SHA-256 in headers and as its ETag), /downloads/<binary>.sha256
 * or /downloads/SHA256SUMS.
 *
 * Sent as it is: Next (16.4, server/send-response.js) drops Content-Length and Content-Encoding from
 * a route handler's answer, so a compressed body would reach the client unlabelled. Compression
 * needs serving these files before Next, at the Node server.
 */
export async function GET(
  request: Request,
  context: { params: Promise<{ file: string }> },
): Promise<Response> {
  const { file } = await context.params;
  const directory = agentsDirectory();
  if (file === checksumsFile) return checksums(directory);
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
  const lines: string[] = [];
  for (const name of agentFiles) {
    const built = builtFile(directory, name);
    if (!built) continue;
    const digest = await digestOf(built.path, built.size, built.modified);
    lines.push(`${digest.hex}  ${name}\n`);
  }
  if (lines.length === 0)
    return notFound("No agent binaries have been built on this server (bun run build:agents)");
  return new Response(lines.join(""), {
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-cache" },
  });
}
