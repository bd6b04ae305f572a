import { type AgentId, commandTargetSchema, newId } from "@redflag/contracts";
import { commandLogs, commands, type DatabaseOrTransaction } from "@redflag/db";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { acknowledgementExpiryFrom } from "../../config.ts";
import {
  downloadsPackages,
  effectiveDownloadProfile,
  withDownloadSettings,
} from "../download-profiles/effective-profile.ts";
import { notAwaitingSnapshot } from "../proxmox/snapshot-before-install.ts";
import type { KeyRing } from "../signing/key-ring.ts";
import { signCommand } from "../signing/sign-command.ts";

const targetsSchema = commandTargetSchema.array();

/**
 * Hands an agent its pending commands. `FOR UPDATE SKIP LOCKED` lets concurrent check-ins (from
 * several server instances, or a duplicated agent) never lease one command twice. The lease is short
 * until the agent acknowledges it (check-in-agent.ts, report-progress.ts): an answer lost on the way
 * (the server killed mid-reply, a proxy cutting it) costs a minute and no attempt, not a long lease.
 */
export async function leaseCommands(
  tx: DatabaseOrTransaction,
  options: { agentId: AgentId; now: Date; limit?: number; keys: KeyRing },
) {
  const leaseExpiresAt = acknowledgementExpiryFrom(options.now);
  const candidates = tx
    .select({ id: commands.id })
    .from(commands)
    .where(
      and(
        eq(commands.agentId, options.agentId),
        eq(commands.status, "pending"),
        // An install gated on its guest's snapshot waits until the node's agent took it.
        notAwaitingSnapshot(commands.id),
      ),
    )
    .orderBy(asc(commands.createdAt), asc(commands.id))
    .limit(options.limit ?? 10)
    .for("update", { skipLocked: true });
  const leased = await tx
    .update(commands)
    .set({
      status: "sent",
      attempt: sql`${commands.attempt} + 1`,
      leaseExpiresAt,
      acknowledgedAt: null,
      sentAt: options.now,
    })
    .where(inArray(commands.id, candidates))
    .returning();
  if (leased.length === 0) return [];
  await tx.insert(commandLogs).values(
    leased.map((command) => ({
      id: newId("commandLog"),
      commandId: command.id,
      attempt: command.attempt,
      kind: "leased" as const,
      message: `Leased to the agent (attempt ${command.attempt} of ${command.maxAttempts})`,
    })),
  );
  // The host's download profile as it is now, for the commands that download (signed with them).
  const downloadProfile = leased.some((command) => downloadsPackages(command.type))
    ? await effectiveDownloadProfile(tx, options.agentId)
    : null;
  return leased
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))
    .map((command) => {
      // Signed as the agent receives them: the answer's schema keeps only these fields of a target.
      const targets = targetsSchema.parse(command.targets);
      const signed = { id: command.id, agentId: options.agentId, type: command.type, targets };
      const parameters = withDownloadSettings(command.type, command.parameters, downloadProfile);
      return {
        ...signed,
        attempt: command.attempt,
        leaseExpiresAt,
        parameters,
        ...signCommand(options.keys, { ...signed, parameters }, options.now),
        keyStatements: options.keys.statements.length > 0 ? options.keys.statements : undefined,
      };
    });
}
