import type { AgentId, CommandId } from "@redflag/contracts";
import type { DatabaseOrTransaction } from "@redflag/db";
import type { AdminActor } from "../../actor.ts";
import { commandTargetOf, createCommand } from "../commands/create-command.ts";
import { type UpdateChoice, updateIdsOf } from "./select-matching-updates.ts";
import { selectUpdatesForChange } from "./select-updates-for-change.ts";
import { transitionUpdates } from "./transition-updates.ts";

/** Queues installs: one command per agent holding all of that agent's chosen updates. */
export async function installUpdates(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor } & UpdateChoice,
) {
  return db.transaction(async (tx) => {
    const rows = await selectUpdatesForChange(tx, {
      updateIds: await updateIdsOf(tx, options),
      allowedStatuses: ["available", "approved", "failed"],
      verb: "install",
    });
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
