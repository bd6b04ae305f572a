import type { AgentId } from "@redflag/contracts";
import { agents, type DatabaseOrTransaction, scans, updates } from "@redflag/db";
import { count, desc, eq } from "drizzle-orm";
import { notFound } from "../../errors.ts";
import { getSettings } from "../settings/get-settings.ts";
import { type AgentBuilds, hasBuildFor } from "./agent-builds.ts";
import { isOnlineSql } from "./agent-presence.ts";

export async function getAgent(
  db: DatabaseOrTransaction,
  options: { agentId: AgentId; agentBuilds?: AgentBuilds | null },
) {
  const { defaultPollIntervalSeconds } = await getSettings(db);
  const [agent] = await db
    .select({ agent: agents, online: isOnlineSql(defaultPollIntervalSeconds, new Date()) })
    .from(agents)
    .where(eq(agents.id, options.agentId));
  if (!agent) throw notFound("Agent", options.agentId);
  const [updateCounts, latestScans] = await Promise.all([
    db
      .select({ status: updates.status, count: count() })
      .from(updates)
      .where(eq(updates.agentId, options.agentId))
      .groupBy(updates.status),
    db
      .select()
      .from(scans)
      .where(eq(scans.agentId, options.agentId))
      .orderBy(desc(scans.receivedAt))
      .limit(10),
  ]);
  return {
    ...agent.agent,
    online: agent.online,
    effectivePollIntervalSeconds: agent.agent.pollIntervalSeconds ?? defaultPollIntervalSeconds,
    updateCounts: Object.fromEntries(updateCounts.map((row) => [row.status, row.count])),
    latestScans,
    serverAgentVersion:
      options.agentBuilds && hasBuildFor(options.agentBuilds, agent.agent)
        ? options.agentBuilds.version
        : null,
  };
}
