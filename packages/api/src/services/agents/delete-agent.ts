import type { AgentId } from "@redflag/contracts";
import { agents, type DatabaseOrTransaction } from "@redflag/db";
import { eq } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { notFound } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";

/** Removes an agent with its updates, commands and tokens; its access token stops working at once. */
export async function deleteAgent(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; agentId: AgentId },
) {
  return db.transaction(async (tx) => {
    const [agent] = await tx.delete(agents).where(eq(agents.id, options.agentId)).returning();
    if (!agent) throw notFound("Agent", options.agentId);
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: "agent.delete",
          entityType: "agent",
          entityId: agent.id,
          before: { hostname: agent.hostname, machineId: agent.machineId },
        },
      ],
    });
    return { id: agent.id };
  });
}
