import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { agentVersionText, type OsType } from "@redflag/contracts";
import { z } from "zod";
import { errorProperties, serverLogger } from "../../logging/logger.ts";

/**
 * The agent binaries this server hands out, as `bun run build:agents` describes them in
 * dist/agents/manifest.json: the version they carry and which OS and architecture each is for.
 * Read when an agent update is asked for (or a check-in brings another version), and cached per
 * version of the file.
 */
const manifestSchema = z.object({
  version: agentVersionText,
  files: z
    .array(
      z.object({
        file: z.string().regex(/^redflag-agent-[a-z0-9.-]+$/),
        os: z.enum(["linux", "windows"]),
        arch: z.enum(["x64", "arm64"]),
      }),
    )
    .max(20),
});
export type AgentBuilds = z.infer<typeof manifestSchema>;

let cached: { path: string; key: string; builds: AgentBuilds | null } | null = null;

/** The builds in `directory`, or null when there is no manifest or it does not parse. */
export function readAgentBuilds(directory: string | null | undefined): AgentBuilds | null {
  if (!directory) return null;
  const path = join(directory, "manifest.json");
  let key: string;
  try {
    const stats = statSync(path);
    key = `${stats.size}:${stats.mtimeMs}`;
  } catch {
    return null;
  }
  if (cached?.path === path && cached.key === key) return cached.builds;
  let builds: AgentBuilds | null = null;
  try {
    builds = manifestSchema.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch (error) {
    serverLogger("agent-builds").error("{path} is not a build manifest; agent updates are off", {
      path,
      error: errorProperties(error),
    });
  }
  cached = { path, key, builds };
  return builds;
}

/** How agents name their machine's architecture (os.machine()) → the builds' names. */
const architectures: Record<string, "x64" | "arm64"> = {
  x86_64: "x64",
  amd64: "x64",
  x64: "x64",
  aarch64: "arm64",
  arm64: "arm64",
};

/** Whether a build exists for the host's OS and architecture (the agent picks its own libc's file). */
export function hasBuildFor(builds: AgentBuilds, agent: { osType: OsType; architecture: string }): boolean {
  const arch = architectures[agent.architecture.toLowerCase()];
  return builds.files.some((file) => file.os === agent.osType && file.arch === arch);
}

function parts(version: string) {
  const [core = "", prerelease = ""] = version.split("+")[0]?.split(/-(.*)/s) ?? [];
  return { numbers: core.split(".").map((part) => Number.parseInt(part, 10) || 0), prerelease };
}

/**
 * Orders versions as semver does for the parts that matter here: numbers compared numerically, a
 * prerelease before its release, prereleases compared as text. Negative when `a` is older.
 */
export function compareAgentVersions(a: string, b: string): number {
  const left = parts(a);
  const right = parts(b);
  for (let index = 0; index < Math.max(left.numbers.length, right.numbers.length); index++) {
    const difference = (left.numbers[index] ?? 0) - (right.numbers[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  if (left.prerelease === right.prerelease) return 0;
  if (left.prerelease === "") return 1;
  if (right.prerelease === "") return -1;
  return left.prerelease < right.prerelease ? -1 : 1;
}
