import { type AgentId, defaultUpdateDeadlineMinutes, type UpdateAgentParameters } from "@redflag/contracts";
import { agents, commands, type DatabaseOrTransaction } from "@redflag/db";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { type Actor, systemActor } from "../../actor.ts";
import { createCommand } from "../commands/create-command.ts";
import { type AgentBuilds, compareAgentVersions, hasBuildFor } from "./agent-builds.ts";

export const openCommandStatuses = ["pending", "sent", "running"] as const;

/** Commands that change packages or the agent: a reboot waits until none of them is open. */
export const commandsBlockingReboot = ["install", "rollback", "update_agent", "reboot"] as const;

/** The open commands of these types for one agent, oldest first. */
export function openCommandsOf(
  tx: DatabaseOrTransaction,
  agentId: AgentId,
  types: readonly (typeof commands.$inferSelect.type)[],
) {
  return tx
    .select({ id: commands.id, type: commands.type, status: commands.status })
    .from(commands)
    .where(
      and(
        eq(commands.agentId, agentId),
        inArray(commands.type, [...types]),
        inArray(commands.status, [...openCommandStatuses]),
      ),
    )
    .orderBy(commands.createdAt);
}

type UpdatableAgent = {
  id: AgentId;
  hostname: string;
  osType: typeof agents.$inferSelect.osType;
  architecture: string;
  agentVersion: string;
};

/** Why this agent cannot be updated to the server's build now, or null when it can. */
export async function agentUpdateRefusal(
  tx: DatabaseOrTransaction,
  agent: UpdatableAgent,
  builds: AgentBuilds | null,
): Promise<string | null> {
  if (!builds)
    return "No agent binaries are built on this server (bun run build:agents writes dist/agents/manifest.json)";
  if (!hasBuildFor(builds, agent))
    return `This server has no agent build for ${agent.osType} on ${agent.architecture} (agent ${builds.version})`;
  if (agent.agentVersion === builds.version) return `${agent.hostname} already runs agent ${builds.version}`;
  const [open] = await openCommandsOf(tx, agent.id, ["update_agent"]);
  if (open) return `An agent update (${open.id}) is already ${open.status} for ${agent.hostname}`;
  return null;
}

/** Queues `update_agent` to the server's build version; the caller has checked `agentUpdateRefusal`. */
export function queueAgentUpdate(
  tx: DatabaseOrTransaction,
  options: { actor: Actor; agentId: AgentId; version: string },
) {
  const parameters: UpdateAgentParameters = {
    version: options.version,
    deadlineMinutes: defaultUpdateDeadlineMinutes,
  };
  return createCommand(tx, {
    actor: options.actor,
    agentId: options.agentId,
    type: "update_agent",
    parameters,
  });
}

/**
 * "Keep agents at the server's version": an agent checking in with an older version than the
 * server's build gets one update_agent, never a second while one is open, and never again for
 * the same version once one failed or timed out (no retry loop; an admin can still retry).
 * Called only when the versions differ, so the common check-in pays nothing for it. True when it
 * queued one (the check-in then leases it at once).
 */
export async function keepAgentAtServerVersion(
  db: DatabaseOrTransaction,
  options: { agentId: AgentId; agentVersion: string; builds: AgentBuilds },
): Promise<boolean> {
  if (compareAgentVersions(options.agentVersion, options.builds.version) >= 0) return false;
  return db.transaction(async (tx) => {
    // One check-in at a time decides for this agent: the row lock serializes concurrent ones.
    const agent = await lockAgentForCommand(tx, options.agentId);
    if (!agent || (await agentUpdateRefusal(tx, agent, options.builds)) !== null) return false;
    const [earlier] = await tx
      .select({ id: commands.id })
      .from(commands)
      .where(
        and(
          eq(commands.agentId, agent.id),
          eq(commands.type, "update_agent"),
          inArray(commands.status, ["failed", "timed_out", "cancelled"]),
          sql`${commands.parameters}->>'version' = ${options.builds.version}`,
        ),
      )
      .orderBy(desc(commands.createdAt))
      .limit(1);
    if (earlier) return false;
    await queueAgentUpdate(tx, { actor: systemActor, agentId: agent.id, version: options.builds.version });
    return true;
  });
}

/**
 * The agent a command is about to be queued for, locked: two callers at once (two admins, or
 * concurrent check-ins) are served one after the other, and the second sees the first one's command.
 */
export async function lockAgentForCommand(tx: DatabaseOrTransaction, agentId: AgentId) {
  const [agent] = await tx
    .select({
      id: agents.id,
      hostname: agents.hostname,
      osType: agents.osType,
      architecture: agents.architecture,
      agentVersion: agents.agentVersion,
    })
    .from(agents)
    .where(eq(agents.id, agentId))
    .for("update");
  return agent ?? null;
}
