import {
  type AgentId,
  type CommandType,
  type DownloadSettings,
  downloadSettingsParameter,
} from "@redflag/contracts";
import { agents, type DatabaseOrTransaction, downloadProfiles } from "@redflag/db";
import { asc, eq } from "drizzle-orm";
import { windowCovers } from "../maintenance-windows/window-scope.ts";

export type DownloadProfileRow = typeof downloadProfiles.$inferSelect;

/** How closely a profile names the host: by id (0) before by tag (1) before every host (2); null: not at all. */
function specificity(profile: DownloadProfileRow, agent: { id: AgentId; tags: string[] }): number | null {
  if (!windowCovers(profile, agent)) return null;
  if (profile.agentIds.includes(agent.id)) return 0;
  if (profile.tags.length > 0) return 1;
  return 2;
}

/**
 * The one profile that applies to a host, by the maintenance windows' scope rule: the most specific
 * scope wins (listed by id, then by tag, then every host), and among equals the first by name.
 */
export function pickDownloadProfile(
  profiles: readonly DownloadProfileRow[],
  agent: { id: AgentId; tags: string[] },
): DownloadProfileRow | null {
  let best: { profile: DownloadProfileRow; rank: number } | null = null;
  for (const profile of profiles) {
    const rank = specificity(profile, agent);
    if (rank === null) continue;
    if (
      best === null ||
      rank < best.rank ||
      (rank === best.rank && profile.name.localeCompare(best.profile.name, "en") < 0)
    ) {
      best = { profile, rank };
    }
  }
  return best?.profile ?? null;
}

export function downloadSettingsOf(profile: DownloadProfileRow): DownloadSettings {
  return {
    profileId: profile.id,
    profileName: profile.name,
    limitKibPerSecond: profile.limitKibPerSecond,
    aptProxy: profile.aptProxy,
    dnfProxy: profile.dnfProxy,
    dockerRegistryMirror: profile.dockerRegistryMirror,
  };
}

/** The host's effective profile now, or null when none covers it. */
export async function effectiveDownloadProfile(
  db: DatabaseOrTransaction,
  agentId: AgentId,
): Promise<DownloadProfileRow | null> {
  const [agent] = await db
    .select({ id: agents.id, tags: agents.tags })
    .from(agents)
    .where(eq(agents.id, agentId));
  if (!agent) return null;
  const profiles = await db.select().from(downloadProfiles).orderBy(asc(downloadProfiles.name));
  return pickDownloadProfile(profiles, agent);
}

/** The commands that download packages, which carry the host's profile to the agent. */
const downloadingCommands: ReadonlySet<CommandType> = new Set<CommandType>([
  "install",
  "rollback",
  "dry_run",
  "download",
]);

export function downloadsPackages(type: CommandType): boolean {
  return downloadingCommands.has(type);
}

/**
 * A command's parameters as the agent receives and the server signs them: for a command that
 * downloads, the host's profile at lease time under `download` (so a profile changed while the
 * command waited applies); others unchanged.
 */
export function withDownloadSettings(
  type: CommandType,
  parameters: Record<string, unknown>,
  profile: DownloadProfileRow | null,
): Record<string, unknown> {
  if (!downloadingCommands.has(type) || profile === null) return parameters;
  return { ...parameters, [downloadSettingsParameter]: downloadSettingsOf(profile) };
}
