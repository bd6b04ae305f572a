import { newId } from "@redflag/contracts";
import { auditEvents, type DatabaseOrTransaction } from "@redflag/db";
import type { Actor } from "../../actor.ts";

export type AuditEntry = {
  action: string;
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
};

/** Writes audit events; call it with the transaction that makes the change it records. */
export async function recordAuditEvents(
  tx: DatabaseOrTransaction,
  options: { actor: Actor; entries: AuditEntry[] },
): Promise<void> {
  if (options.entries.length === 0) return;
  const { type, id } = actorIdentity(options.actor);
  for (let start = 0; start < options.entries.length; start += 1000) {
    await tx.insert(auditEvents).values(
      options.entries.slice(start, start + 1000).map((entry) => ({
        id: newId("auditEvent"),
        actorType: type,
        actorId: id,
        action: entry.action,
        entityType: entry.entityType,
        entityId: entry.entityId,
        before: entry.before ?? null,
        after: entry.after ?? null,
      })),
    );
  }
}

function actorIdentity(actor: Actor) {
  switch (actor.type) {
    case "user":
      return { type: "user" as const, id: actor.userId };
    case "api_token":
      return { type: "api_token" as const, id: actor.tokenId };
    case "agent":
      return { type: "agent" as const, id: actor.agentId };
    case "automation":
      return { type: "automation" as const, id: actor.id };
    case "system":
      return { type: "system" as const, id: null };
  }
}
