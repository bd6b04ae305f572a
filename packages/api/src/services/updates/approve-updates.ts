import type { DatabaseOrTransaction } from "@redflag/db";
import type { AdminActor } from "../../actor.ts";
import { selectUpdatesForChange } from "./select-updates-for-change.ts";
import { transitionUpdates } from "./transition-updates.ts";

export async function approveUpdates(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; updateIds: string[] },
) {
  return db.transaction(async (tx) => {
    const rows = await selectUpdatesForChange(tx, {
      updateIds: options.updateIds,
      allowedStatuses: ["available", "approved", "rejected", "failed"],
      verb: "approve",
    });
    const changed = await transitionUpdates(tx, { actor: options.actor, rows, status: "approved" });
    return { changed };
  });
}

export async function rejectUpdates(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; updateIds: string[] },
) {
  return db.transaction(async (tx) => {
    const rows = await selectUpdatesForChange(tx, {
      updateIds: options.updateIds,
      allowedStatuses: ["available", "approved", "rejected", "failed"],
      verb: "reject",
    });
    const changed = await transitionUpdates(tx, { actor: options.actor, rows, status: "rejected" });
    return { changed };
  });
}
