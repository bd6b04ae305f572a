import type { AgentId, ApiTokenId, MaintenanceWindowId, PolicyId, Role, UserId } from "@redflag/contracts";

/** Who is making a change, as recorded in audit events. */
export type Actor =
  | { type: "user"; userId: UserId; username: string; role: Role; sessionId: string }
  | { type: "api_token"; tokenId: ApiTokenId; userId: UserId; role: Role }
  | { type: "agent"; agentId: AgentId }
  | AutomationActor
  | { type: "system" };

/** A policy or maintenance window acting on its own: the audit trail names the one that did it. */
export type AutomationActor = { type: "automation"; id: PolicyId | MaintenanceWindowId; name: string };

export type AdminActor = Extract<Actor, { type: "user" | "api_token" }>;

export const systemActor: Actor = { type: "system" };

export function createdByOf(actor: Actor): UserId | null {
  if (actor.type === "user" || actor.type === "api_token") return actor.userId;
  return null;
}
