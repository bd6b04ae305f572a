import { type AgentId, type CommandId, isOnceOnlyCommand, newId } from "@redflag/contracts";
import { agents, commandLogs, commands, type DatabaseOrTransaction, updates } from "@redflag/db";
import { and, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import { systemActor } from "../../actor.ts";
import { commandAcknowledgementSeconds, maxUnacknowledgedOffers } from "../../config.ts";
import { enqueueNotification } from "../notifications/enqueue-notification.ts";
import { settleSnapshotGates } from "../proxmox/snapshot-before-install.ts";
import { transitionUpdates } from "../updates/transition-updates.ts";

/**
 * Takes back commands whose lease ran out. One never acknowledged by its agent (the answer carrying it
 * was lost) goes back to `pending` with its attempt given back, to be offered again; otherwise back to
 * `pending` for another attempt, or `timed_out` after the last one (and its updates `failed`).
 * Limited to one agent when `agentId` is given.
 */
export async function expireLeases(tx: DatabaseOrTransaction, options: { agentId?: AgentId; now?: Date }) {
  const now = options.now ?? new Date();
  const reoffered = await tx
    .update(commands)
    .set({
      status: "pending",
      leaseExpiresAt: null,
      attempt: sql`${commands.attempt} - 1`,
      unacknowledgedOffers: sql`${commands.unacknowledgedOffers} + 1`,
    })
    .where(
      and(
        eq(commands.status, "sent"),
        isNull(commands.acknowledgedAt),
        lt(commands.leaseExpiresAt, now),
        lt(commands.unacknowledgedOffers, maxUnacknowledgedOffers),
        options.agentId ? eq(commands.agentId, options.agentId) : undefined,
      ),
    )
    .returning({ id: commands.id, attempt: commands.attempt });
  if (reoffered.length > 0) {
    await tx.insert(commandLogs).values(
      reoffered.map((command) => ({
        id: newId("commandLog"),
        commandId: command.id,
        attempt: command.attempt + 1,
        kind: "lease_expired" as const,
        message: `The agent did not confirm it received the command within ${commandAcknowledgementSeconds} s (the answer may have been lost): offered again, no attempt spent`,
      })),
    );
  }
  const expired = await tx
    .update(commands)
    .set({
      status: sql`case when ${commands.attempt} >= ${commands.maxAttempts} then 'timed_out' else 'pending' end`,
      leaseExpiresAt: null,
      finishedAt: sql`case when ${commands.attempt} >= ${commands.maxAttempts} then ${now.toISOString()}::timestamptz else null end`,
    })
    .where(
      and(
        inArray(commands.status, ["sent", "running"]),
        lt(commands.leaseExpiresAt, now),
        options.agentId ? eq(commands.agentId, options.agentId) : undefined,
      ),
    )
    .returning({
      id: commands.id,
      status: commands.status,
      attempt: commands.attempt,
      type: commands.type,
      agentId: commands.agentId,
    });
  if (expired.length === 0) return { expired: reoffered.length };
  await tx.insert(commandLogs).values(
    expired.map((command) => ({
      id: newId("commandLog"),
      commandId: command.id,
      attempt: command.attempt,
      kind: "lease_expired" as const,
      message:
        command.status !== "timed_out"
          ? `Lease expired on attempt ${command.attempt}: queued again`
          : isOnceOnlyCommand(command.type)
            ? "Lease expired: the agent stopped answering before it reported a result. Not sent again, since it may have started; check the host, then retry"
            : `Lease expired on attempt ${command.attempt}, the last one: timed out`,
    })),
  );
  const timedOut = expired.filter((command) => command.status === "timed_out").map((command) => command.id);
  if (timedOut.length > 0) {
    const rows = await tx
      .select({ id: updates.id, status: updates.status })
      .from(updates)
      .where(and(inArray(updates.lastCommandId, timedOut), eq(updates.status, "installing")));
    await transitionUpdates(tx, { actor: systemActor, rows, status: "failed", reason: "command timed out" });
    await settleSnapshotGates(tx, { snapshotCommandIds: timedOut });
  }
  for (const command of expired) {
    if (command.status === "timed_out" && command.type === "install")
      await notifyInstallTimedOut(tx, command);
  }
  return { expired: expired.length + reoffered.length };
}

/** An install that ended without a result failed as far as anyone can tell: told like a failed one (one key, so a late result adds nothing). */
async function notifyInstallTimedOut(
  tx: DatabaseOrTransaction,
  command: { id: CommandId; agentId: AgentId },
) {
  const [agent] = await tx
    .select({ id: agents.id, hostname: agents.hostname, tags: agents.tags })
    .from(agents)
    .where(eq(agents.id, command.agentId));
  if (!agent) return;
  await enqueueNotification(tx, {
    event: "install_failed",
    agent,
    dedupKey: `install_failed:${command.id}`,
    title: `Install timed out on ${agent.hostname}`,
    body: `${agent.hostname} stopped answering before it reported the install's result (command ${command.id}). Check the host, then retry.`,
    payload: { commandId: command.id, timedOut: true },
  });
}
