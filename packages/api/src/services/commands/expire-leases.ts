import { type AgentId, isOnceOnlyCommand, newId } from "@redflag/contracts";
import { commandLogs, commands, type DatabaseOrTransaction, updates } from "@redflag/db";
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { systemActor } from "../../actor.ts";
import { transitionUpdates } from "../updates/transition-updates.ts";

/**
 * Takes back commands whose lease ran out: back to `pending` for another attempt, or `timed_out`
 * after the last one (and their updates `failed`). Limited to one agent when `agentId` is given.
 */
export async function expireLeases(tx: DatabaseOrTransaction, options: { agentId?: AgentId; now?: Date }) {
  const now = options.now ?? new Date();
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
    .returning({ id: commands.id, status: commands.status, attempt: commands.attempt, type: commands.type });
  if (expired.length === 0) return { expired: 0 };
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
  }
  return { expired: expired.length };
}
