import { createHash } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";

/** The only files served: the agent binaries `bun run build:agents` writes (agent-bun/build.ts). */
export const agentFiles = [
  "redflag-agent-linux-x64",
  "redflag-agent-linux-x64-musl",
  "redflag-agent-linux-arm64",
  "redflag-agent-linux-arm64-musl",
  "redflag-agent-windows-x64.exe",
] as const;
export const checksumsFile = "SHA256SUMS";

/**
 * dist/agents of the checkout the server runs from (`next start` runs in apps/web), or the absolute
 * directory REDFLAG_AGENTS_DIR names (a server handing out other builds, as the self-update test does).
 */
export function agentsDirectory(): string | null {
  const override = process.env.REDFLAG_AGENTS_DIR;
  if (override) return isAbsolute(override) && existsSync(override) ? override : null;
  let directory = process.cwd();
  for (let depth = 0; depth < 4; depth++) {
    const candidate = join(directory, "dist", "agents");
    if (existsSync(candidate)) return candidate;
    directory = dirname(directory);
  }
  return null;
}

export type BuiltFile = { name: string; path: string; size: number; modified: number };

export function builtFile(directory: string | null, name: string): BuiltFile | null {
  if (!directory) return null;
  const path = join(directory, name);
  const stats = existsSync(path) ? statSync(path) : null;
  if (!stats?.isFile()) return null;
  return { name, path, size: stats.size, modified: stats.mtimeMs };
}

/** Whether an If-None-Match header names `etag` (or `*`): the client's copy is current. */
export function etagMatches(condition: string | null | undefined, etag: string): boolean {
  return condition?.split(",").some((tag) => tag.trim() === etag || tag.trim() === "*") ?? false;
}

type Digest = { key: string; hex: string; base64: string };
const digests = new Map<string, Digest>();

/** SHA-256 of a file, computed once per version of it (size and modification time). */
export async function digestOf(path: string, size: number, modified: number): Promise<Digest> {
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

/**
 * A file as a web stream that reads only when the client wants more and closes the file when the
 * client goes away. (Readable.toWeb over a file stream keeps pushing after a cancelled download and
 * throws "Controller is already closed" outside any handler.)
 */
export function fileStream(path: string, chunkSize = 256 * 1024): ReadableStream<Uint8Array> {
  let handle: FileHandle | null = null;
  let finished = false;
  const release = async () => {
    finished = true;
    const current = handle;
    handle = null;
    await current?.close().catch(() => {});
  };
  return new ReadableStream<Uint8Array>(
    {
      async start() {
        handle = await open(path, "r");
      },
      async pull(controller) {
        if (finished || !handle) return;
        const buffer = new Uint8Array(chunkSize);
        const { bytesRead } = await handle.read(buffer, 0, chunkSize, null);
        if (finished) return;
        if (bytesRead === 0) {
          await release();
          controller.close();
          return;
        }
        controller.enqueue(buffer.subarray(0, bytesRead));
      },
      async cancel() {
        await release();
      },
    },
    { highWaterMark: 1 },
  );
}
