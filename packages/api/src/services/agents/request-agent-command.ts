import type { AgentId, RebootParameters, UpdateId } from "@redflag/contracts";
import { type DatabaseOrTransaction, updates } from "@redflag/db";
import { and, eq, inArray } from "drizzle-orm";
import type { AdminActor, AutomationActor } from "../../actor.ts";
import { AppError, notFound } from "../../errors.ts";
import { commandTargetOf, createCommand } from "../commands/create-command.ts";
import type { AgentBuilds } from "./agent-builds.ts";
import {
  agentUpdateRefusal,
  commandsBlockingReboot,
  lockAgentForCommand,
  openCommandsOf,
  queueAgentUpdate,
} from "./agent-update.ts";

/**
 * Queues a scan, reboot, dry run (of some of the agent's updates) or agent update for one agent; a
 * maintenance window (the automation actor) queues its scans and reboots through here too.
 */
export async function requestAgentCommand(
  db: DatabaseOrTransaction,
  options: {
    actor: AdminActor | AutomationActor;
    agentId: AgentId;
    type: "scan" | "reboot" | "dry_run" | "update_agent";
    updateIds?: UpdateId[];
    /** For `reboot`: the delay and the message shown to logged-in users. */
    reboot?: RebootParameters;
    /** The builds this server hands out (for `update_agent`). */
    agentBuilds?: AgentBuilds | null;
  },
) {
  return db.transaction(async (tx) => {
    const agent = await lockAgentForCommand(tx, options.agentId);
    if (!agent) throw notFound("Agent", options.agentId);
    if (options.type === "update_agent") {
      const builds = options.agentBuilds ?? null;
      const refusal = await agentUpdateRefusal(tx, agent, builds);
      if (refusal !== null || !builds) throw new AppError("CONFLICT", refusal ?? "No agent builds");
      return queueAgentUpdate(tx, { actor: options.actor, agentId: agent.id, version: builds.version });
    }
    if (options.type === "reboot") {
      const [blocking] = await openCommandsOf(tx, agent.id, commandsBlockingReboot);
      if (blocking) {
        throw new AppError(
          "CONFLICT",
          `${agent.hostname} is not rebooted while ${blocking.type === "reboot" ? "a reboot" : `an ${blocking.type.replace("_", " ")}`} (${blocking.id}) is ${blocking.status}: wait for it to finish or cancel it`,
        );
      }
      return createCommand(tx, {
        actor: options.actor,
        agentId: agent.id,
        type: "reboot",
        parameters: {
          delaySeconds: options.reboot?.delaySeconds ?? 0,
          ...(options.reboot?.message ? { message: options.reboot.message } : {}),
        },
      });
    }
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
