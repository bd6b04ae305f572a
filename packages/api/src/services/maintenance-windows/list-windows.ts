import type { AgentId } from "@redflag/contracts";
import { agents, type DatabaseOrTransaction, maintenanceWindows, updates, windowRuns } from "@redflag/db";
import { and, asc, count, desc, eq, isNull } from "drizzle-orm";
import { notFound } from "../../errors.ts";
import { listOccurrenceSummaries, occurrenceSummaryOf } from "./summarize-occurrences.ts";
import { describeSchedule, nextOpenings } from "./window-schedule.ts";
import { type WindowRow, windowCovers } from "./window-scope.ts";

function nextOpeningOf(window: WindowRow, now: Date) {
  try {
    return nextOpenings(window, now, 1)[0] ?? null;
  } catch {
    // A zone the runtime no longer knows: shown without a next opening rather than failing the list.
    return null;
  }
}

/** Every window with its next opening and how its last occurrence went. */
export async function listWindows(db: DatabaseOrTransaction, options: { now: Date }) {
  const windows = await db.select().from(maintenanceWindows).orderBy(asc(maintenanceWindows.name));
  const items = [];
  for (const window of windows) {
    const [last] = await listOccurrenceSummaries(db, {
      where: eq(windowRuns.windowId, window.id),
      limit: 1,
    });
    items.push({
      ...window,
      nextOpening: window.enabled ? nextOpeningOf(window, options.now) : null,
      description: describeSchedule(window.schedule),
      lastOccurrence: last ? occurrenceSummaryOf(last) : null,
    });
  }
  return { items };
}

/** Recent occurrences (of one window, or of all), newest first. */
export async function listWindowOccurrences(
  db: DatabaseOrTransaction,
  options: { windowId?: WindowRow["id"]; limit: number },
) {
  const rows = await listOccurrenceSummaries(db, {
    where: options.windowId ? eq(windowRuns.windowId, options.windowId) : undefined,
    limit: options.limit,
  });
  return { items: rows.map((row) => ({ ...occurrenceSummaryOf(row), windowName: row.windowName })) };
}

const rebootWords = {
  never: "never reboots",
  if_required: "reboots if required",
  always: "reboots after installing",
};

/** The windows covering one agent, what each will do there, and the agent's recent runs. */
export async function getAgentWindows(db: DatabaseOrTransaction, options: { agentId: AgentId; now: Date }) {
  const [agent] = await db
    .select({ id: agents.id, tags: agents.tags })
    .from(agents)
    .where(eq(agents.id, options.agentId));
  if (!agent) throw notFound("Agent", options.agentId);
  const [approved] = await db
    .select({ total: count() })
    .from(updates)
    .where(
      and(
        eq(updates.agentId, agent.id),
        eq(updates.status, "approved"),
        eq(updates.hostHeld, false),
        isNull(updates.heldByPolicyId),
      ),
    );
  const approvedUpdates = approved?.total ?? 0;
  const all = await db.select().from(maintenanceWindows).orderBy(asc(maintenanceWindows.name));
  const windows = all
    .filter((window) => windowCovers(window, agent))
    .map((window) => {
      const steps: string[] = [];
      if (window.scan) steps.push("scans");
      if (window.installApproved) {
        steps.push(`installs ${approvedUpdates} approved update${approvedUpdates === 1 ? "" : "s"}`);
      }
      steps.push(rebootWords[window.reboot]);
      return {
        id: window.id,
        name: window.name,
        enabled: window.enabled,
        timeZone: window.timeZone,
        durationMinutes: window.durationMinutes,
        nextOpening: window.enabled ? nextOpeningOf(window, options.now) : null,
        plan: steps.join(", "),
      };
    });
  const runs = await db
    .select({
      id: windowRuns.id,
      windowId: windowRuns.windowId,
      windowName: maintenanceWindows.name,
      agentId: windowRuns.agentId,
      opensAt: windowRuns.opensAt,
      closesAt: windowRuns.closesAt,
      status: windowRuns.status,
      caughtUpAt: windowRuns.caughtUpAt,
      scanCommandId: windowRuns.scanCommandId,
      installCommandId: windowRuns.installCommandId,
      rebootCommandId: windowRuns.rebootCommandId,
      detail: windowRuns.detail,
    })
    .from(windowRuns)
    .innerJoin(maintenanceWindows, eq(maintenanceWindows.id, windowRuns.windowId))
    .where(eq(windowRuns.agentId, agent.id))
    .orderBy(desc(windowRuns.opensAt))
    .limit(10);
  return { windows, approvedUpdates, runs };
}
