import { type AgentId, type CommandId, newId } from "@redflag/contracts";
import { commandLogs, commands, type DatabaseOrTransaction } from "@redflag/db";
import { and, eq } from "drizzle-orm";
import { leaseExpiryFrom } from "../../config.ts";
import { notFound } from "../../errors.ts";

/** Marks a leased command running, records its progress and extends its lease. */
export async function reportProgress(
  db: DatabaseOrTransaction,
  options: { agentId: AgentId; commandId: CommandId; percent: number | null; message: string },
) {
  const now = new Date();
  return db.transaction(async (tx) => {
    const [command] = await tx
      .select()
      .from(commands)
      .where(and(eq(commands.id, options.commandId), eq(commands.agentId, options.agentId)))
      .for("update");
    if (!command) throw notFound("Command", options.commandId);
    if (command.status === "cancelled") return { accepted: false, leaseExpiresAt: null, cancelled: true };
    if (command.status !== "sent" && command.status !== "running") {
      return { accepted: false, leaseExpiresAt: null, cancelled: false };
    }
    const leaseExpiresAt = leaseExpiryFrom(now);
    await tx
      .update(commands)
      .set({
        status: "running",
        startedAt: command.startedAt ?? now,
        acknowledgedAt: command.acknowledgedAt ?? now,
        progressPercent: options.percent,
        progressMessage: options.message,
        leaseExpiresAt,
      })
      .where(eq(commands.id, command.id));
    await tx.insert(commandLogs).values({
      id: newId("commandLog"),
      commandId: command.id,
      attempt: command.attempt,
      kind: "progress",
      percent: options.percent,
      message: options.message,
    });
    return { accepted: true, leaseExpiresAt, cancelled: false };
  });
}
