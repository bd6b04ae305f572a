import type { Role } from "@redflag/contracts";

/** Who is making a change, as recorded in audit events. */
export type Actor =
  | { type: "user"; userId: string; username: string; role: Role; sessionId: string }
  | { type: "api_token"; tokenId: string; userId: string; role: Role }
  | { type: "agent"; agentId: string }
  | { type: "system" };

export type AdminActor = Extract<Actor, { type: "user" | "api_token" }>;

export const systemActor: Actor = { type: "system" };

export function createdByOf(actor: Actor): string | null {
  if (actor.type === "user" || actor.type === "api_token") return actor.userId;
  return null;
}
