import type { AgentId } from "@redflag/contracts";
import { agents, type DatabaseOrTransaction } from "@redflag/db";
import { eq } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { notFound } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";

/** Per-agent settings an admin changes: poll interval (null = server default), rapid mode, tags. */
export async function configureAgent(
  db: DatabaseOrTransaction,
  options: {
    actor: AdminActor;
    agentId: AgentId;
    pollIntervalSeconds?: number | null;
    rapidModeMinutes?: number;
    tags?: string[];
  },
) {
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({
        pollIntervalSeconds: agents.pollIntervalSeconds,
        rapidModeUntil: agents.rapidModeUntil,
        tags: agents.tags,
      })
      .from(agents)
      .where(eq(agents.id, options.agentId))
      .for("update");
    if (!before) throw notFound("Agent", options.agentId);
    const change = {
      ...(options.pollIntervalSeconds !== undefined
        ? { pollIntervalSeconds: options.pollIntervalSeconds }
        : {}),
      ...(options.rapidModeMinutes !== undefined
        ? {
            rapidModeUntil:
              options.rapidModeMinutes === 0
                ? null
                : new Date(Date.now() + options.rapidModeMinutes * 60_000),
          }
        : {}),
      ...(options.tags !== undefined ? { tags: [...new Set(options.tags)].sort() } : {}),
    };
    if (Object.keys(change).length === 0) return { id: options.agentId, ...before };
    const [after] = await tx.update(agents).set(change).where(eq(agents.id, options.agentId)).returning({
      id: agents.id,
      pollIntervalSeconds: agents.pollIntervalSeconds,
      rapidModeUntil: agents.rapidModeUntil,
      tags: agents.tags,
    });
    if (!after) throw notFound("Agent", options.agentId);
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        { action: "agent.configure", entityType: "agent", entityId: options.agentId, before, after: change },
      ],
    });
    return after;
  });
}
