import {
  type AgentId,
  type CommandId,
  type CommandTarget,
  type CommandType,
  isOnceOnlyCommand,
  newId,
} from "@redflag/contracts";
import { commands, type DatabaseOrTransaction, type updates } from "@redflag/db";
import { type Actor, createdByOf } from "../../actor.ts";
import { AppError } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { getSettings } from "../settings/get-settings.ts";

export function commandTargetOf(row: typeof updates.$inferSelect): CommandTarget {
  return {
    updateId: row.id,
    packageType: row.packageType,
    packageName: row.packageName,
    target: row.target,
    currentVersion: row.currentVersion,
    availableVersion: row.availableVersion,
  };
}

/** Queues one command for one agent (status `pending`); the agent takes it at its next check-in. */
export async function createCommand(
  tx: DatabaseOrTransaction,
  options: {
    actor: Actor;
    agentId: AgentId;
    type: CommandType;
    targets?: CommandTarget[];
    parameters?: Record<string, unknown>;
    retryOf?: CommandId;
  },
) {
  const { commandMaxAttempts } = await getSettings(tx);
  const [command] = await tx
    .insert(commands)
    .values({
      id: newId("command"),
      agentId: options.agentId,
      type: options.type,
      status: "pending",
      targets: options.targets ?? [],
      parameters: options.parameters ?? {},
      maxAttempts: isOnceOnlyCommand(options.type) ? 1 : commandMaxAttempts,
      retryOf: options.retryOf ?? null,
      createdBy: createdByOf(options.actor),
    })
    .returning();
  if (!command) throw new AppError("INTERNAL", "Creating the command returned no row");
  await recordAuditEvents(tx, {
    actor: options.actor,
    entries: [
      {
        action: "command.create",
        entityType: "command",
        entityId: command.id,
        after: {
          agentId: command.agentId,
          type: command.type,
          targets: command.targets.map((target) => target.updateId),
          retryOf: command.retryOf,
        },
      },
    ],
  });
  return command;
}
