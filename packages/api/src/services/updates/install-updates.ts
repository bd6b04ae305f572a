import type { AgentId, CommandId } from "@redflag/contracts";
import type { DatabaseOrTransaction } from "@redflag/db";
import type { AdminActor, AutomationActor } from "../../actor.ts";
import { AppError } from "../../errors.ts";
import { commandTargetOf, createCommand } from "../commands/create-command.ts";
import { snapshotBeforeInstall } from "../proxmox/snapshot-before-install.ts";
import { type UpdateChoice, updateIdsOf } from "./select-matching-updates.ts";
import { selectUpdatesForChange } from "./select-updates-for-change.ts";
import { transitionUpdates } from "./transition-updates.ts";

/**
 * Queues installs: one command per agent holding all of that agent's chosen updates. A maintenance
 * window (the automation actor, audited as the window) installs only `approved` updates that neither
 * their host nor a hold policy holds: an admin approved them, and a hold means "never automatically".
 */
export async function installUpdates(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor | AutomationActor } & UpdateChoice,
) {
  const automated = options.actor.type === "automation";
  return db.transaction(async (tx) => {
    const rows = await selectUpdatesForChange(tx, {
      updateIds: await updateIdsOf(tx, options),
      allowedStatuses: automated ? ["approved"] : ["available", "approved", "failed"],
      verb: "install",
    });
    const held = automated ? rows.filter((row) => row.hostHeld || row.heldByPolicyId !== null) : [];
    if (held.length > 0) {
      throw new AppError("CONFLICT", `Cannot install held updates: ${held.map((row) => row.id).join(", ")}`);
    }
    const byAgent = new Map<AgentId, typeof rows>();
    for (const row of rows) byAgent.set(row.agentId, [...(byAgent.get(row.agentId) ?? []), row]);
    const commandIds: CommandId[] = [];
    for (const [agentId, agentRows] of byAgent) {
      const command = await createCommand(tx, {
        actor: options.actor,
        agentId,
        type: "install",
        targets: agentRows.map(commandTargetOf),
      });
      commandIds.push(command.id);
      // A guest the snapshot setting covers is snapshotted by its node first; the install waits for it.
      await snapshotBeforeInstall(tx, { actor: options.actor, install: command });
      await transitionUpdates(tx, {
        actor: options.actor,
        rows: agentRows,
        status: "installing",
        patch: { lastCommandId: command.id },
      });
    }
    return { commandIds };
  });
}
