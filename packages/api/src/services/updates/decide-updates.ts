import type { DatabaseOrTransaction } from "@redflag/db";
import type { AdminActor, AutomationActor } from "../../actor.ts";
import { AppError } from "../../errors.ts";
import { type UpdateChoice, updateIdsOf } from "./select-matching-updates.ts";
import { selectUpdatesForChange } from "./select-updates-for-change.ts";
import { transitionUpdates } from "./transition-updates.ts";

/**
 * A verdict on updates not yet being installed: an admin approves or rejects them; an approve policy
 * (the automation actor, audited as the policy) approves them. A policy may approve only `available`
 * updates that neither their host nor a hold policy holds: a failed or rejected update was dealt with
 * by an admin, and a hold is an admin's "never automatically".
 */
export async function decideUpdates(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor | AutomationActor; decision: "approved" | "rejected" } & UpdateChoice,
) {
  const automated = options.actor.type === "automation";
  if (automated && options.decision !== "approved") {
    throw new AppError("BAD_REQUEST", "A policy can only approve updates");
  }
  return db.transaction(async (tx) => {
    const rows = await selectUpdatesForChange(tx, {
      updateIds: await updateIdsOf(tx, options),
      allowedStatuses: automated ? ["available"] : ["available", "approved", "rejected", "failed"],
      verb: options.decision === "approved" ? "approve" : "reject",
    });
    const held = automated ? rows.filter((row) => row.hostHeld || row.heldByPolicyId !== null) : [];
    if (held.length > 0) {
      throw new AppError("CONFLICT", `Cannot approve held updates: ${held.map((row) => row.id).join(", ")}`);
    }
    const changed = await transitionUpdates(tx, { actor: options.actor, rows, status: options.decision });
    return { changed };
  });
}
