import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { agentFiles, agentsDirectory } from "~/server/download-files";

/** One built binary, as agent-bun/build.ts writes it into dist/agents/manifest.json. */
export const agentManifestFileSchema = z.object({
  file: z.enum(agentFiles),
  os: z.enum(["linux", "windows"]),
  arch: z.enum(["x64", "arm64"]),
  libc: z.enum(["glibc", "musl"]).nullable(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 is 64 lowercase hex digits"),
  size: z.number().int().positive(),
});

export const agentManifestSchema = z.object({
  version: z.string().min(1).max(100),
  files: z.array(agentManifestFileSchema).max(agentFiles.length),
});

export type AgentManifestFile = z.infer<typeof agentManifestFileSchema>;
export type AgentManifest = z.infer<typeof agentManifestSchema>;

/**
 * The binaries this server can hand out, or why there are none. A manifest that does not parse is
 * reported, never half-used: the page would otherwise show checksums that are not the files'.
 */
export function readAgentManifest(
  directory: string | null = agentsDirectory(),
): { manifest: AgentManifest } | { problem: string } {
  const path = directory ? join(directory, "manifest.json") : null;
  if (!path || !existsSync(path)) {
    return { problem: "No agent binaries have been built on this server (bun run build:agents)." };
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    return { problem: `${path} is not JSON (${error instanceof Error ? error.message : String(error)}).` };
  }
  const parsed = agentManifestSchema.safeParse(json);
  if (!parsed.success) {
    return { problem: `${path} is not a build manifest: ${z.prettifyError(parsed.error)}` };
  }
  return { manifest: parsed.data };
}
