import { type CommandId, rollbackCandidates } from "@redflag/contracts";
import { commands, type DatabaseOrTransaction, updates } from "@redflag/db";
import { and, eq, inArray } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { AppError, notFound } from "../../errors.ts";
import { createCommand } from "./create-command.ts";

/**
 * Queues a rollback of a finished install: the agent puts back the version each update had before
 * (the target's `currentVersion`). Only updates this command installed, whose installer said the
 * previous version is still obtainable (`rollbackCandidates`), and that no later command took over.
 */
export async function rollbackCommand(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; commandId: CommandId },
) {
  return db.transaction(async (tx) => {
    const [install] = await tx.select().from(commands).where(eq(commands.id, options.commandId));
    if (!install) throw notFound("Command", options.commandId);
    if (install.type !== "install" || (install.status !== "succeeded" && install.status !== "failed")) {
      throw new AppError(
        "CONFLICT",
        `Command ${install.id} is a ${install.status} ${install.type}; only finished installs can be rolled back`,
      );
    }
    const candidates = rollbackCandidates(install);
    const ids = candidates.map((target) => target.updateId);
    const installed =
      ids.length === 0
        ? []
        : await tx
            .select({ id: updates.id })
            .from(updates)
            .where(
              and(
                inArray(updates.id, ids),
                eq(updates.status, "installed"),
                eq(updates.lastCommandId, install.id),
              ),
            );
    const installedIds = new Set(installed.map((row) => row.id));
    // Updates a later command took over since are that command's business.
    const targets = candidates.filter((target) => installedIds.has(target.updateId));
    if (targets.length === 0) {
      throw new AppError(
        "CONFLICT",
        `Nothing of ${install.id} can be rolled back: its installer reported no installed update whose previous version can still be installed`,
      );
    }
    return createCommand(tx, {
      actor: options.actor,
      agentId: install.agentId,
      type: "rollback",
      targets,
      parameters: { rollbackOf: install.id },
    });
  });
}
