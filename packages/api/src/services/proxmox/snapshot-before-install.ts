import {
  type AgentId,
  type CommandId,
  newId,
  type SnapshotParameters,
  type SnapshotRollbackParameters,
  snapshotNamePrefix,
  snapshotParametersSchema,
} from "@redflag/contracts";
import {
  agents,
  commandLogs,
  commands,
  type DatabaseOrTransaction,
  proxmoxGuests,
  snapshotGates,
  updates,
  virtualGuests,
} from "@redflag/db";
import { and, eq, inArray, or, type SQL, sql } from "drizzle-orm";
import { type Actor, type AdminActor, systemActor } from "../../actor.ts";
import { AppError, notFound } from "../../errors.ts";
import { commandQueuedChannel } from "../agents/command-wakeups.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { createCommand } from "../commands/create-command.ts";
import { getSettings } from "../settings/get-settings.ts";
import { transitionUpdates } from "../updates/transition-updates.ts";
import { guestKey, linkGuests } from "./link-guests.ts";

type Placement = { nodeAgentId: AgentId; vmid: number; guestType: "lxc" | "qemu" };

/**
 * Where a guest's agent runs: its node's agent and vmid, linked exactly as the tree links it
 * (link-guests.ts: an identity held by one guest and one agent), so a cloned guest is never snapshotted.
 */
export async function placementOf(tx: DatabaseOrTransaction, agentId: AgentId): Promise<Placement | null> {
  const [guest] = await tx.select().from(virtualGuests).where(eq(virtualGuests.agentId, agentId));
  const identity = guest?.kind === "lxc" ? guest.machineId : guest?.productUuid;
  if (!guest || !identity) return null;
  const sameIdentity = await tx
    .select()
    .from(virtualGuests)
    .where(or(eq(virtualGuests.machineId, identity), eq(virtualGuests.productUuid, identity)));
  const candidates = await tx
    .select()
    .from(proxmoxGuests)
    .where(or(eq(proxmoxGuests.machineId, identity), eq(proxmoxGuests.smbiosUuid, identity)));
  const links = linkGuests(candidates, sameIdentity);
  for (const candidate of candidates) {
    const link = links.get(guestKey(candidate.nodeAgentId, candidate.vmid));
    if (link?.link === "linked" && link.agentId === agentId) {
      return { nodeAgentId: candidate.nodeAgentId, vmid: candidate.vmid, guestType: candidate.type };
    }
  }
  return null;
}

/** `redflag-` and the install's command id: 38 characters, within Proxmox's 40. */
export function snapshotNameOf(installCommandId: CommandId): string {
  return `${snapshotNamePrefix}${installCommandId}`;
}

/**
 * Before an install on a guest the snapshot setting names (by tag or agent), its node's agent is asked
 * to snapshot it (`redflag-<install command id>`); the install is gated on that snapshot: not leased
 * until it succeeded (`notAwaitingSnapshot`), failed when it does not (`settleSnapshotGates`).
 * Null when the guest is not covered, not linked to a node, or its node runs no agent.
 */
export async function snapshotBeforeInstall(
  tx: DatabaseOrTransaction,
  options: { actor: Actor; install: { id: CommandId; agentId: AgentId } },
) {
  const { snapshotBeforePatch } = await getSettings(tx);
  const [agent] = await tx
    .select({ tags: agents.tags })
    .from(agents)
    .where(eq(agents.id, options.install.agentId));
  const covered =
    snapshotBeforePatch.agentIds.includes(options.install.agentId) ||
    (agent?.tags ?? []).some((tag) => snapshotBeforePatch.tags.includes(tag));
  if (!covered) return null;
  const placement = await placementOf(tx, options.install.agentId);
  if (!placement) return null;
  const parameters: SnapshotParameters = snapshotParametersSchema.parse({
    vmid: placement.vmid,
    guestType: placement.guestType,
    snapshotName: snapshotNameOf(options.install.id),
    keep: snapshotBeforePatch.keep,
  });
  const snapshot = await createCommand(tx, {
    actor: options.actor,
    agentId: placement.nodeAgentId,
    type: "snapshot",
    parameters,
  });
  await tx
    .insert(snapshotGates)
    .values({ installCommandId: options.install.id, snapshotCommandId: snapshot.id });
  await tx.insert(commandLogs).values({
    id: newId("commandLog"),
    commandId: options.install.id,
    attempt: 0,
    kind: "progress",
    message: `Waits for snapshot ${parameters.snapshotName} of ${placement.guestType === "lxc" ? "LXC" : "VM"} ${placement.vmid} (command ${snapshot.id} on its node)`,
  });
  return snapshot;
}

/** For the lease: true for a command no snapshot gate holds (none, or its snapshot succeeded). */
export function notAwaitingSnapshot(commandId: typeof commands.id): SQL {
  return sql`not exists (select 1 from ${snapshotGates} join ${commands} as gate_snapshot on gate_snapshot.id = ${snapshotGates.snapshotCommandId} where ${snapshotGates.installCommandId} = ${commandId} and gate_snapshot.status <> 'succeeded')`;
}

/**
 * A snapshot succeeded: the installs it gated can be leased now. Their agents may be holding a long-poll
 * check-in open: announced as a queued command wakes them (drizzle/0008's channel), on commit.
 */
export async function releaseSnapshotGates(
  tx: DatabaseOrTransaction,
  options: { snapshotCommandId: CommandId },
) {
  const released = await tx
    .selectDistinct({ agentId: commands.agentId })
    .from(snapshotGates)
    .innerJoin(commands, eq(commands.id, snapshotGates.installCommandId))
    .where(
      and(eq(snapshotGates.snapshotCommandId, options.snapshotCommandId), eq(commands.status, "pending")),
    );
  for (const install of released) {
    await tx.execute(sql`select pg_notify(${commandQueuedChannel}, ${install.agentId})`);
  }
}

/**
 * Fails the pending installs whose snapshot ended without succeeding (failed, timed out, cancelled),
 * with their updates: nothing was installed, and the admin retries once the node can snapshot again.
 * Called where a command ends: its result, its lease running out, its cancel.
 */
export async function settleSnapshotGates(
  tx: DatabaseOrTransaction,
  options: { snapshotCommandIds: CommandId[] },
) {
  if (options.snapshotCommandIds.length === 0) return 0;
  const ended = await tx
    .select({ installId: snapshotGates.installCommandId, snapshot: commands })
    .from(snapshotGates)
    .innerJoin(commands, eq(commands.id, snapshotGates.snapshotCommandId))
    .where(
      and(
        inArray(snapshotGates.snapshotCommandId, options.snapshotCommandIds),
        inArray(commands.status, ["failed", "timed_out", "cancelled"]),
      ),
    );
  if (ended.length === 0) return 0;
  const snapshotOf = new Map(ended.map((gate) => [gate.installId, gate.snapshot]));
  const now = new Date();
  const failed = await tx
    .update(commands)
    .set({ status: "failed", finishedAt: now, leaseExpiresAt: null })
    .where(and(inArray(commands.id, [...snapshotOf.keys()]), eq(commands.status, "pending")))
    .returning({ id: commands.id });
  for (const install of failed) {
    const snapshot = snapshotOf.get(install.id);
    const message = `Not installed: the snapshot before it (command ${snapshot?.id}) ended ${snapshot?.status.replace("_", " ")}`;
    await tx.update(commands).set({ output: message }).where(eq(commands.id, install.id));
    await tx.insert(commandLogs).values({
      id: newId("commandLog"),
      commandId: install.id,
      attempt: 0,
      kind: "result",
      message,
    });
  }
  if (failed.length === 0) return 0;
  const ids = failed.map((install) => install.id);
  const rows = await tx
    .select({ id: updates.id, status: updates.status })
    .from(updates)
    .where(and(inArray(updates.lastCommandId, ids), eq(updates.status, "installing")));
  await transitionUpdates(tx, {
    actor: systemActor,
    rows,
    status: "failed",
    reason: "the snapshot before the install did not succeed",
  });
  await recordAuditEvents(tx, {
    actor: systemActor,
    entries: failed.map((install) => ({
      action: "command.failed",
      entityType: "command",
      entityId: install.id,
      before: { status: "pending" },
      after: { status: "failed", snapshotCommandId: snapshotOf.get(install.id)?.id },
    })),
  });
  return failed.length;
}

/**
 * An admin's rollback of a guest to the snapshot a succeeded `snapshot` command took: a
 * `snapshot_rollback` command for the same node agent, guest and snapshot name.
 */
export async function rollbackToSnapshot(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; snapshotCommandId: CommandId },
) {
  return db.transaction(async (tx) => {
    const [snapshot] = await tx.select().from(commands).where(eq(commands.id, options.snapshotCommandId));
    if (snapshot?.type !== "snapshot") throw notFound("Snapshot command", options.snapshotCommandId);
    if (snapshot.status !== "succeeded") {
      throw new AppError(
        "CONFLICT",
        `Snapshot command ${snapshot.id} is ${snapshot.status}; only a succeeded snapshot can be rolled back to`,
      );
    }
    const parsed = snapshotParametersSchema.safeParse(snapshot.parameters);
    if (!parsed.success) {
      throw new AppError("INTERNAL", `Snapshot command ${snapshot.id} has no valid parameters`, {
        cause: parsed.error,
      });
    }
    const parameters: SnapshotRollbackParameters = {
      vmid: parsed.data.vmid,
      guestType: parsed.data.guestType,
      snapshotName: parsed.data.snapshotName,
    };
    return createCommand(tx, {
      actor: options.actor,
      agentId: snapshot.agentId,
      type: "snapshot_rollback",
      parameters,
    });
  });
}
