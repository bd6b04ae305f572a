import type { AgentId, MaintenanceWindowId } from "@redflag/contracts";
import { agents, type maintenanceWindows } from "@redflag/db";
import { inArray, type SQL, sql } from "drizzle-orm";
import type { AutomationActor } from "../../actor.ts";

export type WindowRow = typeof maintenanceWindows.$inferSelect;

/** The actor a window's changes are audited as. */
export function windowActorOf(window: Pick<WindowRow, "id" | "name">): AutomationActor {
  return { type: "automation", id: window.id as MaintenanceWindowId, name: window.name };
}

/** The agents a window is for: carrying any of its tags or listed by id; every agent when it names neither. */
export function windowScopeSql(window: Pick<WindowRow, "tags" | "agentIds">): SQL {
  if (window.tags.length === 0 && window.agentIds.length === 0) return sql`true`;
  const parts: SQL[] = [];
  if (window.tags.length > 0) parts.push(sql`${agents.tags} ?| ${sql.param(window.tags)}::text[]`);
  if (window.agentIds.length > 0) parts.push(inArray(agents.id, window.agentIds));
  return sql`(${sql.join(parts, sql` or `)})`;
}

/** The same rule for one agent already read. */
export function windowCovers(
  window: Pick<WindowRow, "tags" | "agentIds">,
  agent: { id: AgentId; tags: string[] },
): boolean {
  if (window.tags.length === 0 && window.agentIds.length === 0) return true;
  return window.agentIds.includes(agent.id) || window.tags.some((tag) => agent.tags.includes(tag));
}
