import { createHash } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The only files served: the agent binaries `bun run build:agents` writes (agent-bun/build.ts). */
const agentFiles = new Set([
  "redflag-agent-linux-x64",
  "redflag-agent-linux-arm64",
  "redflag-agent-windows-x64.exe",
]);

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

const digests = new Map<string, { key: string; hex: string; base64: string }>();

/** SHA-256 of a file, computed once per version of it (size and modification time). */
async function digestOf(path: string, size: number, modified: number) {
  const key = `${size}:${modified}`;
  const cached = digests.get(path);
  if (cached?.key === key) return cached;
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const digest = hash.digest();
  const entry = { key, hex: digest.toString("hex"), base64: digest.toString("base64") };
  digests.set(path, entry);
  return entry;
}

function notFound(message: string): Response {
  return new Response(`${message}\n`, {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

/** GET /downloads/<binary> (with its SHA-256 in headers) or /downloads/<binary>.sha256. */
export async function GET(
  _request: Request,
  context: { params: Promise<{ file: string }> },
): Promise<Response> {
  const { file } = await context.params;
  const checksumOnly = file.endsWith(".sha256");
  const name = checksumOnly ? file.slice(0, -".sha256".length) : file;
  if (!agentFiles.has(name)) return notFound("No such download");
  const directory = agentsDirectory();
  const path = directory ? join(directory, name) : null;
  const stats = path && existsSync(path) ? statSync(path) : null;
  if (!path || !stats?.isFile())
    return notFound(`${name} has not been built on this server (bun run build:agents)`);
  const digest = await digestOf(path, stats.size, stats.mtimeMs);
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
  const body = Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
  return new Response(body, {
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(stats.size),
      "content-disposition": `attachment; filename="${name}"`,
      ...checksumHeaders,
    },
  });
}
