import type { DatabaseOrTransaction } from "@redflag/db";
import type { AdminActor } from "../../actor.ts";
import { type UpdateChoice, updateIdsOf } from "./select-matching-updates.ts";
import { selectUpdatesForChange } from "./select-updates-for-change.ts";
import { transitionUpdates } from "./transition-updates.ts";

/** An admin's verdict on updates not yet being installed: approve them, or reject them. */
export async function decideUpdates(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; decision: "approved" | "rejected" } & UpdateChoice,
) {
  return db.transaction(async (tx) => {
    const rows = await selectUpdatesForChange(tx, {
      updateIds: await updateIdsOf(tx, options),
      allowedStatuses: ["available", "approved", "rejected", "failed"],
      verb: options.decision === "approved" ? "approve" : "reject",
    });
    const changed = await transitionUpdates(tx, { actor: options.actor, rows, status: options.decision });
    return { changed };
  });
}
