import {
  type AgentId,
  type CommandStatus,
  type CommandType,
  type ItemOutcome,
  newId,
  type ReportResultInput,
  type UpdateStatus,
} from "@redflag/contracts";
import { agents, commandLogs, commands, type DatabaseOrTransaction, updates } from "@redflag/db";
import { and, eq, inArray } from "drizzle-orm";
import type { Actor } from "../../actor.ts";
import { notFound } from "../../errors.ts";
import { serverLogger } from "../../logging/logger.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { recordDownloads } from "../download-profiles/pre-download.ts";
import { enqueueNotification } from "../notifications/enqueue-notification.ts";
import { releaseSnapshotGates, settleSnapshotGates } from "../proxmox/snapshot-before-install.ts";
import { transitionUpdates } from "../updates/transition-updates.ts";

const log = serverLogger("command");

/**
 * What a command's end without a result (lease ran out on the last attempt, an admin's cancel) left its
 * updates in. A late result finds them there, still pointing at the command, and moves them on.
 */
const endsWithoutResult: Partial<Record<CommandStatus, { updatesLeft: UpdateStatus; said: string }>> = {
  timed_out: { updatesLeft: "failed", said: "timed out" },
  cancelled: { updatesLeft: "approved", said: "cancelled" },
};

/**
 * Records a command's outcome and moves its updates on. Idempotent by command id: a result for a
 * command that already has one changes nothing and is answered as a duplicate.
 *
 * A result is the truth of what ran, even when it arrives after the command timed out or was cancelled
 * (the agent kept running it): the command takes the reported status, its log says the result came
 * late, and updates the timeout or cancel had released end as the result says, unless another command
 * has taken them over since.
 */
export async function reportResult(
  db: DatabaseOrTransaction,
  options: {
    agentId: AgentId;
    result: ReportResultInput;
    /** Told once the result is recorded (the metrics' install counters); not for a duplicate. */
    observeResult?: (recorded: { commandType: CommandType; status: ReportResultInput["status"] }) => void;
  },
) {
  const { result } = options;
  const actor: Actor = { type: "agent", agentId: options.agentId };
  log.info("Result of command {commandId} received from agent {agentId}: {status}", {
    commandId: result.commandId,
    agentId: options.agentId,
    status: result.status,
    exitCode: result.exitCode,
  });
  let recordedType: CommandType | null = null;
  const answer = await db.transaction(async (tx) => {
    const [command] = await tx
      .select()
      .from(commands)
      .where(and(eq(commands.id, result.commandId), eq(commands.agentId, options.agentId)))
      .for("update");
    if (!command) throw notFound("Command", result.commandId);
    if (command.status === "succeeded" || command.status === "failed") {
      return { accepted: true, duplicate: true, commandStatus: command.status };
    }
    const endedWithout = endsWithoutResult[command.status];
    await tx
      .update(commands)
      .set({
        status: result.status,
        exitCode: result.exitCode,
        output: result.output,
        itemOutcomes: result.items,
        result: result.result,
        startedAt: command.startedAt ?? result.startedAt,
        finishedAt: result.finishedAt,
        leaseExpiresAt: null,
        progressPercent: 100,
      })
      .where(eq(commands.id, command.id));
    await tx.insert(commandLogs).values({
      id: newId("commandLog"),
      commandId: command.id,
      attempt: Math.max(command.attempt, 1),
      kind: "result",
      percent: 100,
      message: `${result.status} (exit code ${result.exitCode ?? "none"})${endedWithout ? `, reported after the command was ${endedWithout.said}: recorded as reported` : ""}`,
    });
    await recordAuditEvents(tx, {
      actor,
      entries: [
        {
          action: `command.${result.status}`,
          entityType: "command",
          entityId: command.id,
          before: { status: command.status },
          after: {
            status: result.status,
            exitCode: result.exitCode,
            ...(endedWithout ? { late: true } : {}),
          },
        },
      ],
    });
    if (command.type === "install" || command.type === "rollback") {
      await applyItemOutcomes(tx, { actor, command, result });
    }
    if (command.type === "download") {
      await recordDownloads(tx, { command, result: result.result, finishedAt: result.finishedAt });
    }
    if (command.type === "snapshot" && result.status === "succeeded") {
      await releaseSnapshotGates(tx, { snapshotCommandId: command.id });
    } else if (command.type === "snapshot") {
      await settleSnapshotGates(tx, { snapshotCommandIds: [command.id] });
    }
    await notifyResult(tx, { command, result });
    recordedType = command.type;
    return { accepted: true, duplicate: false, commandStatus: result.status };
  });
  // After the commit: a rolled-back transaction counts nothing.
  if (recordedType) options.observeResult?.({ commandType: recordedType, status: result.status });
  return answer;
}

async function applyItemOutcomes(
  tx: DatabaseOrTransaction,
  options: { actor: Actor; command: typeof commands.$inferSelect; result: ReportResultInput },
) {
  const { command, result, actor } = options;
  const targetIds = command.targets.map((target) => target.updateId);
  if (targetIds.length === 0) return;
  const rows = await tx.select().from(updates).where(inArray(updates.id, targetIds)).for("update");
  const outcomes = new Map<string, ItemOutcome>(result.items.map((item) => [item.updateId, item]));
  for (const row of rows) {
    const outcome = outcomes.get(row.id);
    if (command.type === "rollback") {
      if (outcome?.status === "installed") {
        await transitionUpdates(tx, {
          actor,
          rows: [row],
          status: "available",
          patch: {
            currentVersion: outcome.installedVersion,
            installedVersion: null,
            lastCommandId: command.id,
          },
          reason: "rolled back",
        });
      }
      continue;
    }
    // An update another command has since taken over is that command's business.
    if (row.lastCommandId !== command.id) continue;
    const endedWithout = endsWithoutResult[command.status];
    if (row.status !== "installing") {
      // Released by the command's timeout or cancel: only a version the host really installed moves it
      // on; a late failure leaves it as the timeout (failed) or the cancel (approved) left it.
      if (row.status !== endedWithout?.updatesLeft || outcome?.status !== "installed") continue;
    }
    const late = endedWithout ? `, reported after the command was ${endedWithout.said}` : "";
    if (outcome?.status === "installed") {
      const offered = row.availableVersion;
      if (outcome.installedVersion !== null && outcome.installedVersion !== offered) {
        await transitionUpdates(tx, {
          actor,
          rows: [row],
          status: "failed",
          patch: { installedVersion: outcome.installedVersion },
          reason: `installed version ${outcome.installedVersion} is not the offered ${offered}${late}`,
        });
      } else {
        await transitionUpdates(tx, {
          actor,
          rows: [row],
          status: "installed",
          patch: { installedVersion: outcome.installedVersion ?? offered },
          ...(late ? { reason: `installed${late}` } : {}),
        });
      }
    } else {
      await transitionUpdates(tx, {
        actor,
        rows: [row],
        status: "failed",
        reason: outcome ? outcome.message || `agent reported ${outcome.status}` : "no outcome reported",
      });
    }
  }
}

/** Tells the targets that want it how an install or a reboot ended, in the result's transaction. */
async function notifyResult(
  tx: DatabaseOrTransaction,
  options: { command: typeof commands.$inferSelect; result: ReportResultInput },
) {
  const { command, result } = options;
  const event =
    command.type === "install"
      ? result.status === "succeeded"
        ? "install_succeeded"
        : "install_failed"
      : command.type === "reboot" && result.status === "succeeded"
        ? "reboot_done"
        : null;
  if (!event) return;
  const [agent] = await tx
    .select({ id: agents.id, hostname: agents.hostname, tags: agents.tags })
    .from(agents)
    .where(eq(agents.id, command.agentId));
  if (!agent) return;
  const packages = command.targets.map((target) => `${target.packageName} ${target.availableVersion}`);
  const failures = result.items
    .filter((item) => item.status !== "installed")
    .map((item) => {
      const target = command.targets.find((candidate) => candidate.updateId === item.updateId);
      return `- ${target?.packageName ?? item.updateId}: ${item.message || item.status}`;
    });
  const listed = packages.slice(0, 30).map((line) => `- ${line}`);
  if (packages.length > listed.length) listed.push(`… and ${packages.length - listed.length} more`);
  const count = `${packages.length} update${packages.length === 1 ? "" : "s"}`;
  const message =
    event === "install_succeeded"
      ? { title: `Installed ${count} on ${agent.hostname}`, body: listed.join("\n") }
      : event === "install_failed"
        ? {
            title: `Install failed on ${agent.hostname}`,
            body: [
              `The install of ${count} failed (exit code ${result.exitCode ?? "none"}).`,
              ...(failures.length > 0 ? failures.slice(0, 30) : listed),
            ].join("\n"),
          }
        : { title: `${agent.hostname} rebooted`, body: `${agent.hostname} rebooted as asked and is back.` };
  await enqueueNotification(tx, {
    event,
    agent,
    dedupKey: `${event}:${command.id}`,
    ...message,
    payload: {
      commandId: command.id,
      exitCode: result.exitCode,
      packages: command.targets.map((target) => target.packageName),
    },
  });
}
