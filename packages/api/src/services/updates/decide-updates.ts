import type { UpdateId } from "@redflag/contracts";
import type { DatabaseOrTransaction } from "@redflag/db";
import type { AdminActor } from "../../actor.ts";
import { selectUpdatesForChange } from "./select-updates-for-change.ts";
import { transitionUpdates } from "./transition-updates.ts";

/** An admin's verdict on updates not yet being installed: approve them, or reject them. */
export async function decideUpdates(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; updateIds: UpdateId[]; decision: "approved" | "rejected" },
) {
  return db.transaction(async (tx) => {
    const rows = await selectUpdatesForChange(tx, {
      updateIds: options.updateIds,
      allowedStatuses: ["available", "approved", "rejected", "failed"],
      verb: options.decision === "approved" ? "approve" : "reject",
    });
    const changed = await transitionUpdates(tx, { actor: options.actor, rows, status: options.decision });
    return { changed };
  });
}
