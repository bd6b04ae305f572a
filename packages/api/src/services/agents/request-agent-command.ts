import type { AgentId, UpdateId } from "@redflag/contracts";
import { agents, type DatabaseOrTransaction, updates } from "@redflag/db";
import { and, eq, inArray } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { AppError, notFound } from "../../errors.ts";
import { commandTargetOf, createCommand } from "../commands/create-command.ts";

/** Queues a scan, reboot, dry run (of some of the agent's updates) or agent update for one agent. */
export async function requestAgentCommand(
  db: DatabaseOrTransaction,
  options: {
    actor: AdminActor;
    agentId: AgentId;
    type: "scan" | "reboot" | "dry_run" | "update_agent";
    updateIds?: UpdateId[];
  },
) {
  return db.transaction(async (tx) => {
    const [agent] = await tx.select({ id: agents.id }).from(agents).where(eq(agents.id, options.agentId));
    if (!agent) throw notFound("Agent", options.agentId);
    let targets: ReturnType<typeof commandTargetOf>[] = [];
    if (options.type === "dry_run") {
      const ids = [...new Set(options.updateIds ?? [])];
      if (ids.length === 0)
        throw new AppError("BAD_REQUEST", "A dry run needs the updates to preview (updateIds)");
      const rows = await tx
        .select()
        .from(updates)
        .where(and(eq(updates.agentId, agent.id), inArray(updates.id, ids)));
      const found = new Set(rows.map((row) => row.id));
      const missing = ids.filter((id) => !found.has(id));
      if (missing.length > 0)
        throw new AppError("NOT_FOUND", `Updates not found on this agent: ${missing.join(", ")}`);
      targets = rows.map(commandTargetOf);
    }
    return createCommand(tx, { actor: options.actor, agentId: agent.id, type: options.type, targets });
  });
}
