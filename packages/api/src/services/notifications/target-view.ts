import type { NotificationTarget, NotificationTargetDraft } from "@redflag/contracts";
import type { notificationTargets } from "@redflag/db";
import { AppError } from "../../errors.ts";
import { openSecrets, SealedSecretError } from "./secret-box.ts";

type TargetRow = typeof notificationTargets.$inferSelect;

/** A target as the API shows it: the names of its secrets that are set, never their values. */
export function toTargetView(serverSecret: string, row: TargetRow): NotificationTarget {
  let secretsSet: string[] = [];
  let secretsUnreadable = false;
  try {
    secretsSet = Object.keys(openSecrets(serverSecret, row.id, row.secretCiphertext)).sort();
  } catch (error) {
    if (!(error instanceof SealedSecretError)) throw error;
    secretsUnreadable = true;
  }
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    enabled: row.enabled,
    events: row.events,
    tags: row.tags,
    config: row.config,
    secretsSet,
    secretsUnreadable,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The secrets after a save: a field left out keeps its stored value, null clears it, a value replaces it. */
export function mergeSecrets(
  stored: Record<string, string>,
  draft: NotificationTargetDraft,
  required: readonly string[],
): Record<string, string> {
  const merged: Record<string, string> = { ...stored };
  for (const [name, value] of Object.entries(draft.secrets as Record<string, string | null | undefined>)) {
    if (value === null) delete merged[name];
    else if (value !== undefined) merged[name] = value;
  }
  const missing = required.filter((name) => !merged[name]);
  if (missing.length > 0) {
    throw new AppError("BAD_REQUEST", `A ${draft.kind} target needs ${missing.join(" and ")}`);
  }
  return merged;
}
