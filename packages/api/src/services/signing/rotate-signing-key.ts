import { type DatabaseOrTransaction, settings } from "@redflag/db";
import { eq } from "drizzle-orm";
import type { AdminActor } from "../../actor.ts";
import { AppError } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { newStoredKey, type StoredKeySet, signStatement } from "./key-ring.ts";
import { readSigningKeys, type SigningKeys, signingKeysSettingKey } from "./signing-keys.ts";

export type SigningKeyStep = "rotate" | "promote" | "retire";

/**
 * One step of a key rotation (the state machine is described in key-ring.ts), with its audit event,
 * in one transaction that locks the key set: two admins clicking at once make one step, not two.
 */
export async function changeSigningKeys(
  db: DatabaseOrTransaction,
  options: { actor: AdminActor; step: SigningKeyStep; keys: SigningKeys; now?: Date },
) {
  if (options.keys.fromEnvironment)
    throw new AppError(
      "CONFLICT",
      "The signing key comes from REDFLAG_SIGNING_KEY: rotate it there (agents must then be registered again)",
    );
  const now = options.now ?? new Date();
  const result = await db.transaction(async (tx) => {
    const set = await readSigningKeys(tx, { forUpdate: true });
    const changed = applyStep(set, options.step, now);
    await tx
      .update(settings)
      .set({ value: changed.set, updatedAt: now })
      .where(eq(settings.key, signingKeysSettingKey));
    await recordAuditEvents(tx, {
      actor: options.actor,
      entries: [
        {
          action: `signing_key.${options.step}`,
          entityType: "signing_key",
          entityId: changed.subject,
          before: changed.before,
          after: changed.after,
        },
      ],
    });
    return changed;
  });
  options.keys.forget();
  return { fingerprint: result.subject, step: options.step };
}

function states(set: StoredKeySet) {
  return Object.fromEntries(
    set.keys.filter((key) => key.state !== "retired").map((key) => [key.fingerprint, key.state]),
  );
}

function applyStep(set: StoredKeySet, step: SigningKeyStep, now: Date) {
  const active = set.keys.find((key) => key.state === "active");
  const next = set.keys.find((key) => key.state === "next");
  const previous = set.keys.find((key) => key.state === "previous");
  if (!active) throw new Error("The stored signing keys have no active key");
  const before = states(set);
  let keys = set.keys;
  let subject: string;
  switch (step) {
    case "rotate": {
      if (next || previous)
        throw new AppError("CONFLICT", "A key rotation is already under way: promote or retire first");
      const fresh = newStoredKey("next", now);
      fresh.announcement = signStatement(active, "announce", fresh, now);
      keys = [...keys, fresh];
      subject = fresh.fingerprint;
      break;
    }
    case "promote": {
      if (!next) throw new AppError("CONFLICT", "There is no new key to promote: rotate first");
      keys = keys.map((key) =>
        key === next
          ? { ...key, state: "active" as const, activatedAt: now.toISOString() }
          : key === active
            ? { ...key, state: "previous" as const }
            : key,
      );
      subject = next.fingerprint;
      break;
    }
    case "retire": {
      if (!previous) throw new AppError("CONFLICT", "There is no old key to retire: promote a new key first");
      const retirement = signStatement(active, "retire", previous, now);
      keys = keys.map((key) =>
        key === previous
          ? { ...key, state: "retired" as const, seed: null, retiredAt: now.toISOString(), retirement }
          : key,
      );
      subject = previous.fingerprint;
      break;
    }
  }
  // Retired keys older than a rotation's statements are of no use to anyone: the set stays small.
  const changed: StoredKeySet = { version: 1, keys: keys.slice(-10) };
  return { set: changed, subject, before, after: states(changed) };
}
