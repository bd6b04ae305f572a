import { type AgentId, type CommandId, newId } from "@redflag/contracts";
import {
  agents,
  commands,
  type Database,
  type DatabaseOrTransaction,
  maintenanceWindows,
  updates,
  windowRuns,
} from "@redflag/db";
import { and, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import { AppError } from "../../errors.ts";
import { isOnlineSql } from "../agents/agent-presence.ts";
import { openCommandStatuses } from "../agents/agent-update.ts";
import { requestAgentCommand } from "../agents/request-agent-command.ts";
import { queuePreDownloads } from "../download-profiles/pre-download.ts";
import { getSettings } from "../settings/get-settings.ts";
import { installUpdates } from "../updates/install-updates.ts";
import { summarizeClosedOccurrences } from "./summarize-occurrences.ts";
import { openOccurrenceAt } from "./window-schedule.ts";
import { type WindowRow, windowActorOf, windowScopeSql } from "./window-scope.ts";

type RunRow = typeof windowRuns.$inferSelect;
type Step = { db: DatabaseOrTransaction; now: Date; maxConcurrentInstalls: number; pollSeconds: number };

/** Advisory lock keys: the fleet-wide install slots, and one window's reboot slots (+ a hash of its id). */
const installSlotsLock = 0x52464d01;
const rebootSlotsLock = 0x52464d02;

/** Said on a run whose host was seen while its install waited for a fleet-wide slot. */
const waitingForSlot = "waiting for a free install slot (fleet-wide limit)";

/** Said on a run whose host was seen with nothing approved to install (yet). */
const nothingApprovedYet = "nothing approved to install yet";

/**
 * One pass of the maintenance-window job at `now`: opens the occurrences that are open (one run row per
 * agent in scope, unique per occurrence), moves every active run one step on, catches up hosts that
 * were away, and queues the summary of occurrences that ended. Each run moves in its own transaction
 * with its row locked and re-read, and each queued command is written on the run in that transaction,
 * so a pass cut by a crash, or two passes at once, never queue the same work twice.
 */
export async function runMaintenanceWindows(db: Database, options: { now: Date }) {
  const { now } = options;
  const settings = await getSettings(db);
  const step: Step = {
    db,
    now,
    maxConcurrentInstalls: settings.maxConcurrentInstalls,
    pollSeconds: settings.defaultPollIntervalSeconds,
  };
  const windows = await db.select().from(maintenanceWindows).where(eq(maintenanceWindows.enabled, true));
  const failures: string[] = [];
  for (const window of windows) {
    try {
      await openOccurrence(db, window, now);
      await queuePreDownloads(db, window, now);
    } catch (error) {
      failures.push(`${window.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  // Active runs, and missed ones that may still catch up: their window grants a grace period and no
  // later occurrence has a run for the host yet (that one does the work instead).
  const runs = await db
    .select({ id: windowRuns.id })
    .from(windowRuns)
    .innerJoin(maintenanceWindows, eq(maintenanceWindows.id, windowRuns.windowId))
    .where(
      sql`${windowRuns.status} in ('waiting', 'installing', 'rebooting') or (${windowRuns.status} = 'missed' and ${windowRuns.caughtUpAt} is null and ${maintenanceWindows.catchUpGraceMinutes} > 0 and ${maintenanceWindows.enabled} and not exists (select 1 from window_runs later_run where later_run.window_id = ${windowRuns.windowId} and later_run.agent_id = ${windowRuns.agentId} and later_run.opens_at > ${windowRuns.opensAt}))`,
    )
    .orderBy(windowRuns.opensAt, windowRuns.createdAt, windowRuns.id);
  for (const { id } of runs) {
    try {
      await db.transaction((tx) => advanceRun({ ...step, db: tx }, id));
    } catch (error) {
      failures.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  await summarizeClosedOccurrences(db, { now });
  if (failures.length > 0)
    throw new Error(`Some maintenance window runs did not move on: ${failures.join("; ")}`);
}

/** The runs of the occurrence open at `now`, one per agent in scope (an agent added meanwhile joins it). */
async function openOccurrence(db: Database, window: WindowRow, now: Date) {
  const occurrence = openOccurrenceAt(window, now);
  if (!occurrence) return;
  const scoped = await db.select({ id: agents.id }).from(agents).where(windowScopeSql(window));
  if (scoped.length === 0) return;
  await db
    .insert(windowRuns)
    .values(
      scoped.map((agent) => ({
        id: newId("windowRun"),
        windowId: window.id,
        agentId: agent.id,
        opensAt: occurrence.opensAt,
        closesAt: occurrence.closesAt,
        status: "waiting" as const,
        createdAt: now,
        updatedAt: now,
      })),
    )
    .onConflictDoNothing();
}

async function advanceRun(step: Step, runId: RunRow["id"]) {
  const { db, now } = step;
  const [run] = await db.select().from(windowRuns).where(eq(windowRuns.id, runId)).for("update");
  if (!run) return;
  const [window] = await db.select().from(maintenanceWindows).where(eq(maintenanceWindows.id, run.windowId));
  const [agent] = await db
    .select({
      id: agents.id,
      tags: agents.tags,
      lastCheckInAt: agents.lastCheckInAt,
      rebootRequired: agents.rebootRequired,
      online: isOnlineSql(step.pollSeconds, now),
    })
    .from(agents)
    .where(eq(agents.id, run.agentId));
  if (!window || !agent) return;
  let current = run;
  if (current.status === "missed") {
    if (!(await isBackForCatchUp(db, window, current, agent, now))) return;
    current = await saveRun(db, current, {
      status: "waiting",
      caughtUpAt: now,
      detail: "back after the window: catching up",
    });
  }
  const context: RunContext = { step, window, agent, run: current, mayQueue: mayQueue(window, current, now) };
  if (current.status === "waiting") return advanceWaiting(context);
  if (current.status === "installing") return advanceInstalling(context);
  if (current.status === "rebooting") return advanceRebooting(context);
}

type RunContext = {
  step: Step;
  window: WindowRow;
  agent: { id: AgentId; lastCheckInAt: Date | null; rebootRequired: boolean; online: boolean };
  run: RunRow;
  /** Whether commands may be queued for this run now: its occurrence is open, or its catch-up lasts. */
  mayQueue: boolean;
};

function mayQueue(window: WindowRow, run: RunRow, now: Date): boolean {
  if (!window.enabled) return false;
  if (run.caughtUpAt) return now.getTime() < run.caughtUpAt.getTime() + window.catchUpGraceMinutes * 60_000;
  return run.opensAt <= now && now < run.closesAt;
}

/**
 * A host missed its window and is back: it checked in after the window closed, the window grants a
 * grace period, and no later occurrence of the window has a run for it (that one does the work).
 */
async function isBackForCatchUp(
  db: DatabaseOrTransaction,
  window: WindowRow,
  run: RunRow,
  agent: RunContext["agent"],
  now: Date,
): Promise<boolean> {
  if (!window.enabled || window.catchUpGraceMinutes <= 0 || run.caughtUpAt) return false;
  if (!agent.online || !agent.lastCheckInAt || agent.lastCheckInAt <= run.closesAt || now < run.closesAt) {
    return false;
  }
  const [later] = await db
    .select({ id: windowRuns.id })
    .from(windowRuns)
    .where(
      and(
        eq(windowRuns.windowId, run.windowId),
        eq(windowRuns.agentId, run.agentId),
        gt(windowRuns.opensAt, run.opensAt),
      ),
    )
    .limit(1);
  return !later;
}

async function advanceWaiting(context: RunContext) {
  const { step, window, agent, run } = context;
  const { db } = step;
  if (!context.mayQueue) {
    // Nothing was queued for it in time: its approved updates stay approved for the next window.
    if (!window.enabled) {
      return saveRun(db, run, {
        status: "skipped",
        detail: "the window was disabled before its work started",
      });
    }
    if (run.detail === nothingApprovedYet) {
      return saveRun(db, run, {
        status: "skipped",
        detail: "nothing approved to install while the window was open",
      });
    }
    if (run.caughtUpAt) {
      return saveRun(db, run, {
        status: "missed",
        detail: "came back, but the grace period ended before its install could start",
      });
    }
    if (run.detail === waitingForSlot) {
      return saveRun(db, run, {
        status: "skipped",
        detail:
          "the window closed before a fleet-wide install slot was free; its approved updates wait for the next window",
      });
    }
    return saveRun(db, run, {
      status: "missed",
      detail:
        window.catchUpGraceMinutes > 0
          ? `offline through the window; catches up within ${window.catchUpGraceMinutes} minutes of its return`
          : "offline through the window; its work waits for the next window",
    });
  }
  if (!agent.online) return;
  const actor = windowActorOf(window);
  let scanCommandId = run.scanCommandId;
  if (window.scan && !scanCommandId) {
    const scan = await requestAgentCommand(db, { actor, agentId: agent.id, type: "scan" });
    scanCommandId = scan.id;
  }
  const toInstall = window.installApproved ? await installableUpdateIds(db, agent.id) : [];
  if (toInstall.length === 0) {
    // An update approved while the window is open (by a policy after the scan, say) still installs in
    // it: the run keeps looking until the close, unless the host needs its reboot now.
    if (window.installApproved && !(agent.rebootRequired && window.reboot !== "never")) {
      return saveRun(db, run, { scanCommandId, detail: nothingApprovedYet });
    }
    const saved = await saveRun(db, run, { scanCommandId, status: "installing", detail: null });
    return advanceInstalling({ ...context, run: saved });
  }
  // One pass at a time counts the fleet's open installs and takes a slot.
  await db.execute(sql`select pg_advisory_xact_lock(${installSlotsLock})`);
  if ((await openAutomatedInstalls(db)) >= step.maxConcurrentInstalls) {
    return saveRun(db, run, { scanCommandId, detail: waitingForSlot });
  }
  const { commandIds } = await installUpdates(db, { actor, updateIds: toInstall });
  return saveRun(db, run, {
    scanCommandId,
    installCommandId: commandIds[0] ?? null,
    status: "installing",
    detail: `installing ${toInstall.length} approved update${toInstall.length === 1 ? "" : "s"}`,
  });
}

/** The agent's approved updates a window may install: neither the host nor a hold policy holds them. */
async function installableUpdateIds(db: DatabaseOrTransaction, agentId: AgentId) {
  const rows = await db
    .select({ id: updates.id })
    .from(updates)
    .where(
      and(
        eq(updates.agentId, agentId),
        eq(updates.status, "approved"),
        eq(updates.hostHeld, false),
        isNull(updates.heldByPolicyId),
      ),
    )
    .orderBy(updates.id);
  return rows.map((row) => row.id);
}

/** Installs queued by windows and not finished yet, fleet-wide. */
async function openAutomatedInstalls(db: DatabaseOrTransaction): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(windowRuns)
    .innerJoin(commands, eq(commands.id, windowRuns.installCommandId))
    .where(inArray(commands.status, [...openCommandStatuses]));
  return row?.count ?? 0;
}

async function commandStatusOf(db: DatabaseOrTransaction, commandId: CommandId | null) {
  if (!commandId) return null;
  const [row] = await db
    .select({ status: commands.status, finishedAt: commands.finishedAt })
    .from(commands)
    .where(eq(commands.id, commandId));
  return row ?? null;
}

function isOpen(status: string): boolean {
  return (openCommandStatuses as readonly string[]).includes(status);
}

async function advanceInstalling(context: RunContext) {
  const { step, window, agent, run } = context;
  const { db } = step;
  const scan = await commandStatusOf(db, run.scanCommandId);
  const install = await commandStatusOf(db, run.installCommandId);
  if ((scan && isOpen(scan.status)) || (install && isOpen(install.status))) return;
  if (install && install.status !== "succeeded") {
    return saveRun(db, run, { status: "failed", detail: `the install ${install.status.replace("_", " ")}` });
  }
  if (window.reboot === "never") return saveRun(db, run, { status: "done", detail: null });
  if (install && window.reboot === "if_required") {
    // The flag the host reports at its first check-in after the install says whether it needs one.
    const reported = agent.lastCheckInAt && install.finishedAt && agent.lastCheckInAt >= install.finishedAt;
    if (!reported) {
      if (!context.mayQueue)
        return saveRun(db, run, {
          status: "done",
          detail: "the window closed before the host reported whether it needs a reboot",
        });
      return;
    }
  }
  const needsReboot = agent.rebootRequired || (window.reboot === "always" && install !== null);
  if (!needsReboot) return saveRun(db, run, { status: "done", detail: null });
  const saved = await saveRun(db, run, { status: "rebooting", detail: "waiting for a reboot slot" });
  return advanceRebooting({ ...context, run: saved });
}

async function advanceRebooting(context: RunContext) {
  const { step, window, agent, run } = context;
  const { db } = step;
  if (run.rebootCommandId) {
    const reboot = await commandStatusOf(db, run.rebootCommandId);
    if (reboot && isOpen(reboot.status)) return;
    if (reboot?.status === "succeeded") return saveRun(db, run, { status: "done", detail: "rebooted" });
    return saveRun(db, run, {
      status: "failed",
      detail: `the reboot ${reboot?.status.replace("_", " ") ?? "is gone"}`,
    });
  }
  if (!context.mayQueue) {
    return saveRun(db, run, {
      status: "done",
      detail: "the window closed before its reboot's turn; the reboot waits for the next window",
    });
  }
  if (!agent.online) return;
  // One pass at a time counts this window's hosts rebooting and takes a slot.
  await db.execute(sql`select pg_advisory_xact_lock(${rebootSlotsLock}, hashtext(${window.id}))`);
  if ((await openWindowReboots(db, window.id)) >= window.maxConcurrentReboots) return;
  try {
    const reboot = await requestAgentCommand(db, {
      actor: windowActorOf(window),
      agentId: agent.id,
      type: "reboot",
    });
    return saveRun(db, run, { rebootCommandId: reboot.id, detail: "rebooting" });
  } catch (error) {
    // Another install or reboot of the host is open (an admin's): the reboot waits for it.
    if (error instanceof AppError && error.appCode === "CONFLICT") {
      return saveRun(db, run, { detail: error.message });
    }
    throw error;
  }
}

/** Reboots queued by this window whose command has not finished (the agent reports it after the boot). */
async function openWindowReboots(db: DatabaseOrTransaction, windowId: WindowRow["id"]): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(windowRuns)
    .innerJoin(commands, eq(commands.id, windowRuns.rebootCommandId))
    .where(and(eq(windowRuns.windowId, windowId), inArray(commands.status, [...openCommandStatuses])));
  return row?.count ?? 0;
}

async function saveRun(
  db: DatabaseOrTransaction,
  run: RunRow,
  patch: Partial<
    Pick<
      RunRow,
      "status" | "caughtUpAt" | "scanCommandId" | "installCommandId" | "rebootCommandId" | "detail"
    >
  >,
): Promise<RunRow> {
  const [saved] = await db
    .update(windowRuns)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(windowRuns.id, run.id))
    .returning();
  return saved ?? { ...run, ...patch };
}
