import { z } from "zod";

/** Prefix of every id kind; the prefix tells a reader (and a validator) what an id points at. */
export const idPrefixes = {
  user: "usr",
  session: "ses",
  apiToken: "pat",
  registrationToken: "reg",
  agent: "agt",
  refreshToken: "art",
  scan: "scn",
  update: "upd",
  command: "cmd",
  commandLog: "log",
  auditEvent: "aud",
  policy: "pol",
  maintenanceWindow: "win",
  windowRun: "wrn",
  rollout: "rol",
  notificationTarget: "ntt",
  notificationDelivery: "ntd",
  downloadProfile: "dlp",
} as const;

export type IdKind = keyof typeof idPrefixes;

/** An id of one kind, `<prefix>_<26 characters>`: a command id does not type-check where an agent id is wanted. */
export type Id<Kind extends IdKind> = `${(typeof idPrefixes)[Kind]}_${string}`;
export type UserId = Id<"user">;
export type SessionId = Id<"session">;
export type ApiTokenId = Id<"apiToken">;
export type RegistrationTokenId = Id<"registrationToken">;
export type AgentId = Id<"agent">;
export type RefreshTokenId = Id<"refreshToken">;
export type ScanId = Id<"scan">;
export type UpdateId = Id<"update">;
export type CommandId = Id<"command">;
export type CommandLogId = Id<"commandLog">;
export type AuditEventId = Id<"auditEvent">;
export type PolicyId = Id<"policy">;
export type MaintenanceWindowId = Id<"maintenanceWindow">;
export type WindowRunId = Id<"windowRun">;
export type RolloutId = Id<"rollout">;
export type NotificationTargetId = Id<"notificationTarget">;
export type NotificationDeliveryId = Id<"notificationDelivery">;
export type DownloadProfileId = Id<"downloadProfile">;

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

/** Crockford base32 of a 48-bit millisecond clock then 80 random bits: ids sort by creation time. */
export function newId<Kind extends IdKind>(kind: Kind): Id<Kind> {
  let time = Date.now();
  let head = "";
  for (let index = 0; index < 10; index++) {
    head = alphabet.charAt(time % 32) + head;
    time = Math.floor(time / 32);
  }
  const random = crypto.getRandomValues(new Uint8Array(16));
  let tail = "";
  for (const byte of random) tail += alphabet.charAt(byte % 32);
  return `${idPrefixes[kind]}_${head}${tail}`;
}

/**
 * A zod schema accepting only ids of one kind, so a command id can never be passed as an agent id.
 * It takes any string and gives the typed id: callers send what they have, the server checks it.
 */
export function idSchema<Kind extends IdKind>(kind: Kind) {
  const prefix = idPrefixes[kind];
  const pattern = new RegExp(`^${prefix}_[0-9a-z]{26}$`);
  return z.string().refine((value): value is Id<Kind> => pattern.test(value), {
    message: `must be a ${kind} id (${prefix}_…)`,
  });
}
