import type { CommandId } from "@redflag/contracts";
import { commands, type DatabaseOrTransaction, updates } from "@redflag/db";
import { eq, inArray } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { AppError, notFound } from "../../errors.ts";
import { snapshotBeforeInstall } from "../proxmox/snapshot-before-install.ts";
import { transitionUpdates } from "../updates/transition-updates.ts";
import { commandTargetOf, createCommand } from "./create-command.ts";

/**
 * Retries a finished, unsuccessful command as a new command linked to it. An install retries only
 * the updates that still need it (not installed or gone since).
 */
export async function retryCommand(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; commandId: CommandId },
) {
  return db.transaction(async (tx) => {
    const [old] = await tx.select().from(commands).where(eq(commands.id, options.commandId)).for("update");
    if (!old) throw notFound("Command", options.commandId);
    if (!["failed", "timed_out", "cancelled"].includes(old.status)) {
      throw new AppError(
        "CONFLICT",
        `Command ${old.id} is ${old.status}; only failed, timed out or cancelled commands can be retried`,
      );
    }
    if (old.type !== "install") {
      return createCommand(tx, {
        actor: options.actor,
        agentId: old.agentId,
        type: old.type,
        targets: old.targets,
        parameters: old.parameters,
        retryOf: old.id,
      });
    }
    const ids = old.targets.map((target) => target.updateId);
    const rows =
      ids.length === 0
        ? []
        : await tx.select().from(updates).where(inArray(updates.id, ids)).orderBy(updates.id).for("update");
    const retryable = rows.filter((row) => ["available", "approved", "failed"].includes(row.status));
    if (retryable.length === 0) {
      throw new AppError(
        "CONFLICT",
        `Nothing left to retry: every update of ${old.id} is installed, installing or gone`,
      );
    }
    const command = await createCommand(tx, {
      actor: options.actor,
      agentId: old.agentId,
      type: "install",
      targets: retryable.map(commandTargetOf),
      parameters: old.parameters,
      retryOf: old.id,
    });
    await snapshotBeforeInstall(tx, { actor: options.actor, install: command });
    await transitionUpdates(tx, {
      actor: options.actor,
      rows: retryable,
      status: "installing",
      patch: { lastCommandId: command.id },
    });
    return command;
  });
}
