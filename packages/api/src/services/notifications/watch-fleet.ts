import { createHash } from "node:crypto";
import type { AgentId, CommandId } from "@redflag/contracts";
import {
  agents,
  commands,
  type DatabaseOrTransaction,
  notificationDeliveries,
  severityRank,
  updates,
} from "@redflag/db";
import { and, asc, desc, eq, gt, inArray, isNotNull, not, sql } from "drizzle-orm";
import { offlineAfterPollIntervals } from "../../config.ts";
import { isOnlineSql } from "../agents/agent-presence.ts";
import { getSettings } from "../settings/get-settings.ts";
import { enqueueNotification } from "./enqueue-notification.ts";
import { wantedEvents } from "./wanted-events.ts";

const day = 24 * 3600 * 1000;

function shortHash(parts: string[]): string {
  return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 24);
}

/**
 * Looks at the fleet and queues what changed since it last looked: agents gone offline and back (one
 * pair per offline episode, named by the last check-in before it), new security updates per agent,
 * agents newly wanting a reboot. Every message's dedup key names what it tells, so a run repeated
 * (a crash, two instances, the next minute) tells nothing twice; what was told is read back from the
 * delivery log, so nothing else has to remember it.
 */
export async function watchFleet(db: DatabaseOrTransaction, options: { now: Date }): Promise<void> {
  const wanted = await wantedEvents(db);
  const { now } = options;
  if (wanted.has("agent_offline")) await tellOffline(db, now);
  if (wanted.has("agent_back")) await tellBack(db, now);
  if (wanted.has("security_updates_found")) await tellSecurityUpdates(db, now);
  if (wanted.has("reboot_required")) await tellRebootRequired(db);
}

async function tellOffline(db: DatabaseOrTransaction, now: Date) {
  const { defaultPollIntervalSeconds } = await getSettings(db);
  // Only agents that went quiet within the last day: a target added today hears of no old corpses.
  const offline = await db
    .select({
      id: agents.id,
      hostname: agents.hostname,
      tags: agents.tags,
      lastCheckInAt: agents.lastCheckInAt,
    })
    .from(agents)
    .where(
      and(
        isNotNull(agents.lastCheckInAt),
        gt(agents.lastCheckInAt, new Date(now.getTime() - day)),
        not(isOnlineSql(defaultPollIntervalSeconds, now)),
      ),
    );
  for (const agent of offline) {
    if (!agent.lastCheckInAt) continue;
    const episode = String(agent.lastCheckInAt.getTime());
    const minutes = Math.round((now.getTime() - agent.lastCheckInAt.getTime()) / 60_000);
    await enqueueNotification(db, {
      event: "agent_offline",
      agent,
      dedupKey: `agent_offline:${agent.id}:${episode}`,
      title: `${agent.hostname} is offline`,
      body: `${agent.hostname} has not checked in for ${minutes} minutes (${offlineAfterPollIntervals} poll intervals without a check-in); its last check-in was at ${agent.lastCheckInAt.toISOString()}.`,
      payload: { episode, lastCheckInAt: agent.lastCheckInAt.toISOString() },
    });
  }
}

async function tellBack(db: DatabaseOrTransaction, now: Date) {
  const { defaultPollIntervalSeconds } = await getSettings(db);
  const agentIdOf = sql<AgentId>`${notificationDeliveries.payload}->>'agentId'`;
  const episodeOf = sql<string>`${notificationDeliveries.payload}->>'episode'`;
  // Offline episodes told and not yet closed by an agent_back.
  const open = await db
    .selectDistinct({ agentId: agentIdOf, episode: episodeOf })
    .from(notificationDeliveries)
    .where(
      and(
        eq(notificationDeliveries.event, "agent_offline"),
        gt(notificationDeliveries.createdAt, new Date(now.getTime() - 30 * day)),
        sql`not exists (select 1 from ${notificationDeliveries} as back where back.event = 'agent_back' and back.dedup_key = 'agent_back:' || (${agentIdOf}) || ':' || (${episodeOf}))`,
      ),
    );
  if (open.length === 0) return;
  const online = await db
    .select({
      id: agents.id,
      hostname: agents.hostname,
      tags: agents.tags,
      lastCheckInAt: agents.lastCheckInAt,
    })
    .from(agents)
    .where(
      and(
        inArray(
          agents.id,
          open.map((row) => row.agentId),
        ),
        isOnlineSql(defaultPollIntervalSeconds, now),
      ),
    );
  const byId = new Map(online.map((agent) => [agent.id, agent]));
  for (const { agentId, episode } of open) {
    const agent = byId.get(agentId);
    if (!agent?.lastCheckInAt || agent.lastCheckInAt.getTime() <= Number(episode)) continue;
    await enqueueNotification(db, {
      event: "agent_back",
      agent,
      dedupKey: `agent_back:${agent.id}:${episode}`,
      title: `${agent.hostname} is back online`,
      body: `${agent.hostname} checked in again at ${agent.lastCheckInAt.toISOString()} after being offline since ${new Date(Number(episode)).toISOString()}.`,
      payload: { episode, lastCheckInAt: agent.lastCheckInAt.toISOString() },
    });
  }
}

async function tellSecurityUpdates(db: DatabaseOrTransaction, now: Date) {
  const rows = await db
    .select({
      id: updates.id,
      agentId: updates.agentId,
      packageName: updates.packageName,
      availableVersion: updates.availableVersion,
      severity: updates.severity,
      hostname: agents.hostname,
      tags: agents.tags,
    })
    .from(updates)
    .innerJoin(agents, eq(agents.id, updates.agentId))
    .where(
      and(
        eq(updates.security, true),
        inArray(updates.status, ["available", "approved"]),
        // New ones only: seen within the last day and in no message yet.
        gt(updates.firstSeenAt, new Date(now.getTime() - day)),
        sql`not exists (select 1 from ${notificationDeliveries} where ${notificationDeliveries.event} = 'security_updates_found' and ${notificationDeliveries.payload}->'updateIds' @> jsonb_build_array(${updates.id}))`,
      ),
    )
    .orderBy(asc(updates.agentId), asc(severityRank(updates.severity)), asc(updates.packageName))
    .limit(10_000);
  const byAgent = new Map<AgentId, typeof rows>();
  for (const row of rows) byAgent.set(row.agentId, [...(byAgent.get(row.agentId) ?? []), row]);
  for (const [agentId, found] of byAgent) {
    const first = found[0];
    if (!first) continue;
    const listed = found
      .slice(0, 30)
      .map((row) => `- ${row.packageName} ${row.availableVersion} (${row.severity})`);
    if (found.length > listed.length) listed.push(`… and ${found.length - listed.length} more`);
    await enqueueNotification(db, {
      event: "security_updates_found",
      agent: { id: agentId, hostname: first.hostname, tags: first.tags },
      dedupKey: `security_updates_found:${agentId}:${shortHash(found.map((row) => row.id).sort())}`,
      title: `${found.length} new security update${found.length === 1 ? "" : "s"} on ${first.hostname}`,
      body: listed.join("\n"),
      payload: {
        updateIds: found.map((row) => row.id),
        packages: found.map((row) => ({
          name: row.packageName,
          version: row.availableVersion,
          severity: row.severity,
        })),
      },
    });
  }
}

async function tellRebootRequired(db: DatabaseOrTransaction) {
  const lastReboot = db
    .select({ id: commands.id })
    .from(commands)
    .where(
      and(eq(commands.agentId, agents.id), eq(commands.type, "reboot"), eq(commands.status, "succeeded")),
    )
    .orderBy(desc(commands.finishedAt))
    .limit(1);
  const wanting = await db
    .select({
      id: agents.id,
      hostname: agents.hostname,
      tags: agents.tags,
      reasons: agents.rebootReasons,
      lastRebootId: sql<CommandId | null>`(${lastReboot})`,
    })
    .from(agents)
    .where(eq(agents.rebootRequired, true));
  for (const agent of wanting) {
    // One requirement is its reasons since the host's last reboot command: new reasons or a reboot since make another.
    const requirement = shortHash([...agent.reasons].sort().concat(agent.lastRebootId ?? "never"));
    await enqueueNotification(db, {
      event: "reboot_required",
      agent: { id: agent.id, hostname: agent.hostname, tags: agent.tags },
      dedupKey: `reboot_required:${agent.id}:${requirement}`,
      title: `${agent.hostname} needs a reboot`,
      body:
        agent.reasons.length > 0
          ? `${agent.hostname} reports that it needs a reboot:\n${agent.reasons.map((reason) => `- ${reason}`).join("\n")}`
          : `${agent.hostname} reports that it needs a reboot.`,
      payload: { reasons: agent.reasons },
    });
  }
}
