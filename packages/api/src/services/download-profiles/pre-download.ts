import {
  type AgentId,
  type DownloadCommandResult,
  downloadCommandResultSchema,
  type PackageType,
} from "@redflag/contracts";
import { agents, commands, type Database, type DatabaseOrTransaction, updates } from "@redflag/db";
import { and, asc, eq, gte, inArray, isNull, or, type SQL, sql } from "drizzle-orm";
import { commandTargetOf, createCommand } from "../commands/create-command.ts";
import { nextOpenings } from "../maintenance-windows/window-schedule.ts";
import { type WindowRow, windowActorOf, windowScopeSql } from "../maintenance-windows/window-scope.ts";

/**
 * The package types whose agent can download without installing: apt (`apt-get install -d`), dnf
 * (`dnf upgrade --downloadonly`) and Docker (the new image pulled by its digest, no container touched).
 */
export const preDownloadTypes: readonly PackageType[] = ["apt", "dnf", "docker"];

/**
 * Before a window opens (within its `preDownloadMinutes`), queues one `download` command per host in
 * scope for its approved updates of those types not yet downloaded, once per occurrence: a host that already
 * had a download queued since the lead time began gets none (a failed one is not retried until the
 * next occurrence). The window's install then finds the packages in the cache. Installs nothing.
 */
export async function queuePreDownloads(db: Database, window: WindowRow, now: Date) {
  if (window.preDownloadMinutes <= 0 || !window.installApproved) return;
  const [next] = nextOpenings(window, now, 1);
  if (!next) return;
  const leadStart = new Date(next.opensAt.getTime() - window.preDownloadMinutes * 60_000);
  if (now < leadStart) return;
  const scoped = await db.select({ id: agents.id }).from(agents).where(windowScopeSql(window));
  for (const agent of scoped) {
    await db.transaction(async (tx) => {
      // One host at a time, locked: two passes at once queue one download.
      await tx.select({ id: agents.id }).from(agents).where(eq(agents.id, agent.id)).for("update");
      const [queued] = await tx
        .select({ id: commands.id })
        .from(commands)
        .where(
          and(
            eq(commands.agentId, agent.id),
            eq(commands.type, "download"),
            gte(commands.createdAt, leadStart),
          ),
        )
        .limit(1);
      if (queued) return;
      const rows = await tx
        .select()
        .from(updates)
        .where(toDownload(agent.id))
        .orderBy(asc(updates.packageName), asc(updates.id));
      if (rows.length === 0) return;
      await createCommand(tx, {
        actor: windowActorOf(window),
        agentId: agent.id,
        type: "download",
        targets: rows.map(commandTargetOf),
        parameters: { window: window.id, opensAt: next.opensAt.toISOString() },
      });
    });
  }
}

/** Approved, not held, of a type that can be pre-downloaded, and not already downloaded at this version. */
function toDownload(agentId: AgentId): SQL | undefined {
  return and(
    eq(updates.agentId, agentId),
    eq(updates.status, "approved"),
    eq(updates.hostHeld, false),
    isNull(updates.heldByPolicyId),
    inArray(updates.packageType, [...preDownloadTypes]),
    or(isNull(updates.downloadedVersion), sql`${updates.downloadedVersion} <> ${updates.availableVersion}`),
  );
}

/**
 * A `download` command's result: the updates it names as downloaded (only its own targets, of this
 * agent) are marked with the version it downloaded. Their status stays as it was: nothing is installed.
 */
export async function recordDownloads(
  tx: DatabaseOrTransaction,
  options: {
    command: typeof commands.$inferSelect;
    result: Record<string, unknown> | null;
    finishedAt: Date;
  },
) {
  const parsed = downloadCommandResultSchema.safeParse(options.result ?? {});
  const downloaded: DownloadCommandResult["downloaded"] = parsed.success ? parsed.data.downloaded : [];
  const targets = new Map(options.command.targets.map((target) => [target.updateId, target]));
  for (const updateId of new Set(downloaded)) {
    const target = targets.get(updateId);
    if (!target) continue;
    await tx
      .update(updates)
      .set({ downloadedVersion: target.availableVersion, downloadedAt: options.finishedAt })
      .where(and(eq(updates.id, updateId), eq(updates.agentId, options.command.agentId)));
  }
}
