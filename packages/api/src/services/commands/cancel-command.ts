import { type CommandId, newId } from "@redflag/contracts";
import { commandLogs, commands, type DatabaseOrTransaction, updates } from "@redflag/db";
import { and, eq } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { AppError, notFound } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { settleSnapshotGates } from "../proxmox/snapshot-before-install.ts";
import { transitionUpdates } from "../updates/transition-updates.ts";

/** Cancels a command the agent has not started; its updates go back to `approved`. */
export async function cancelCommand(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; commandId: CommandId },
) {
  return db.transaction(async (tx) => {
    const [command] = await tx
      .select()
      .from(commands)
      .where(eq(commands.id, options.commandId))
      .for("update");
    if (!command) throw notFound("Command", options.commandId);
    if (command.status === "cancelled") return { id: command.id, status: command.status };
    if (command.status !== "pending" && command.status !== "sent") {
      throw new AppError(
        "CONFLICT",
        `Command ${command.id} is ${command.status}; only pending or sent commands can be cancelled`,
      );
    }
    const now = new Date();
    await tx
      .update(commands)
      .set({ status: "cancelled", finishedAt: now, leaseExpiresAt: null })
      .where(eq(commands.id, command.id));
    await tx.insert(commandLogs).values({
      id: newId("commandLog"),
      commandId: command.id,
      attempt: command.attempt,
      kind: "cancelled",
      message: "Cancelled by an admin",
    });
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: "command.cancel",
          entityType: "command",
          entityId: command.id,
          before: { status: command.status },
          after: { status: "cancelled" },
        },
      ],
    });
    const rows = await tx
      .select({ id: updates.id, status: updates.status })
      .from(updates)
      .where(and(eq(updates.lastCommandId, command.id), eq(updates.status, "installing")));
    await transitionUpdates(tx, {
      actor: options.actor,
      rows,
      status: "approved",
      reason: "command cancelled",
    });
    // A cancelled snapshot fails the install waiting for it.
    await settleSnapshotGates(tx, { snapshotCommandIds: [command.id] });
    return { id: command.id, status: "cancelled" as const };
  });
}
