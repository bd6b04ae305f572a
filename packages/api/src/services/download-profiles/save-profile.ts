import { type DownloadProfileDraft, type DownloadProfileId, newId } from "@redflag/contracts";
import { type DatabaseOrTransaction, downloadProfiles } from "@redflag/db";
import { and, eq, ne } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { AppError, notFound } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";

/** What the contract cannot check: an agent listed twice, tags repeated, a name already taken. */
async function checkDraft(
  tx: DatabaseOrTransaction,
  draft: DownloadProfileDraft,
  profileId?: DownloadProfileId,
): Promise<DownloadProfileDraft> {
  if (new Set(draft.agentIds).size !== draft.agentIds.length) {
    throw new AppError("BAD_REQUEST", "An agent is listed twice in the profile's scope");
  }
  const [taken] = await tx
    .select({ id: downloadProfiles.id })
    .from(downloadProfiles)
    .where(
      and(
        eq(downloadProfiles.name, draft.name),
        profileId === undefined ? undefined : ne(downloadProfiles.id, profileId),
      ),
    );
  if (taken) throw new AppError("CONFLICT", `A download profile named "${draft.name}" exists already`);
  return { ...draft, tags: [...new Set(draft.tags)] };
}

export async function createDownloadProfile(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; profile: DownloadProfileDraft },
) {
  return db.transaction(async (tx) => {
    const draft = await checkDraft(tx, options.profile);
    const [created] = await tx
      .insert(downloadProfiles)
      .values({ id: newId("downloadProfile"), ...draft })
      .returning();
    if (!created) throw new AppError("INTERNAL", "Saving the download profile returned no row");
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: "download_profile.created",
          entityType: "download_profile",
          entityId: created.id,
          after: created,
        },
      ],
    });
    return created;
  });
}

/** Changes a profile; commands already handed out keep the settings they were signed with. */
export async function updateDownloadProfile(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; profileId: DownloadProfileId; profile: DownloadProfileDraft },
) {
  return db.transaction(async (tx) => {
    const before = await lockProfile(tx, options.profileId);
    const draft = await checkDraft(tx, options.profile, options.profileId);
    const [updated] = await tx
      .update(downloadProfiles)
      .set({ ...draft, updatedAt: new Date() })
      .where(eq(downloadProfiles.id, options.profileId))
      .returning();
    if (!updated) throw notFound("Download profile", options.profileId);
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: "download_profile.updated",
          entityType: "download_profile",
          entityId: updated.id,
          before,
          after: updated,
        },
      ],
    });
    return updated;
  });
}

export async function deleteDownloadProfile(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; profileId: DownloadProfileId },
) {
  return db.transaction(async (tx) => {
    const before = await lockProfile(tx, options.profileId);
    await tx.delete(downloadProfiles).where(eq(downloadProfiles.id, options.profileId));
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        { action: "download_profile.deleted", entityType: "download_profile", entityId: before.id, before },
      ],
    });
    return { id: before.id };
  });
}

async function lockProfile(tx: DatabaseOrTransaction, profileId: DownloadProfileId) {
  const [row] = await tx
    .select()
    .from(downloadProfiles)
    .where(eq(downloadProfiles.id, profileId))
    .for("update");
  if (!row) throw notFound("Download profile", profileId);
  return row;
}
