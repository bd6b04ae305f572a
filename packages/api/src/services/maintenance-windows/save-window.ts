import { type MaintenanceWindowId, newId, type WindowDraft } from "@redflag/contracts";
import { type DatabaseOrTransaction, maintenanceWindows } from "@redflag/db";
import { eq } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { AppError, notFound } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { validateTiming } from "./window-schedule.ts";

/** Checks what the contract cannot (the schedule's values, how often it opens) before anything is written. */
function checkDraft(draft: WindowDraft, now: Date): WindowDraft {
  validateTiming(draft, now);
  const schedule = draft.schedule.trim().split(/\s+/).join(" ");
  if (new Set(draft.agentIds).size !== draft.agentIds.length) {
    throw new AppError("BAD_REQUEST", "An agent is listed twice in the window's scope");
  }
  return { ...draft, schedule, tags: [...new Set(draft.tags)] };
}

/** Saves a new maintenance window; it acts from its next opening. */
export async function createWindow(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; window: WindowDraft; now?: Date },
) {
  const draft = checkDraft(options.window, options.now ?? new Date());
  return db.transaction(async (tx) => {
    const [created] = await tx
      .insert(maintenanceWindows)
      .values({ id: newId("maintenanceWindow"), ...draft })
      .returning();
    if (!created) throw new AppError("INTERNAL", "Saving the window returned no row");
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: "maintenance_window.created",
          entityType: "maintenance_window",
          entityId: created.id,
          after: created,
        },
      ],
    });
    return created;
  });
}

/** Changes a window; an occurrence already open keeps the runs it created. */
export async function updateWindow(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; windowId: MaintenanceWindowId; window: WindowDraft; now?: Date },
) {
  const draft = checkDraft(options.window, options.now ?? new Date());
  return db.transaction(async (tx) => {
    const before = await lockWindow(tx, options.windowId);
    const [updated] = await tx
      .update(maintenanceWindows)
      .set({ ...draft, updatedAt: new Date() })
      .where(eq(maintenanceWindows.id, options.windowId))
      .returning();
    if (!updated) throw notFound("Maintenance window", options.windowId);
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: "maintenance_window.updated",
          entityType: "maintenance_window",
          entityId: updated.id,
          before,
          after: updated,
        },
      ],
    });
    return updated;
  });
}

export async function setWindowEnabled(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; windowId: MaintenanceWindowId; enabled: boolean },
) {
  return db.transaction(async (tx) => {
    const before = await lockWindow(tx, options.windowId);
    const [updated] = await tx
      .update(maintenanceWindows)
      .set({ enabled: options.enabled, updatedAt: new Date() })
      .where(eq(maintenanceWindows.id, options.windowId))
      .returning();
    if (!updated) throw notFound("Maintenance window", options.windowId);
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: options.enabled ? "maintenance_window.enabled" : "maintenance_window.disabled",
          entityType: "maintenance_window",
          entityId: updated.id,
          before: { enabled: before.enabled },
          after: { enabled: updated.enabled },
        },
      ],
    });
    return updated;
  });
}

/** Deletes a window and its runs' history; commands it queued stay as they are. */
export async function deleteWindow(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; windowId: MaintenanceWindowId },
) {
  return db.transaction(async (tx) => {
    const before = await lockWindow(tx, options.windowId);
    await tx.delete(maintenanceWindows).where(eq(maintenanceWindows.id, options.windowId));
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: "maintenance_window.deleted",
          entityType: "maintenance_window",
          entityId: before.id,
          before,
        },
      ],
    });
    return { id: before.id };
  });
}

async function lockWindow(tx: DatabaseOrTransaction, windowId: MaintenanceWindowId) {
  const [row] = await tx
    .select()
    .from(maintenanceWindows)
    .where(eq(maintenanceWindows.id, windowId))
    .for("update");
  if (!row) throw notFound("Maintenance window", windowId);
  return row;
}
