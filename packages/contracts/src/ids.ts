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
} as const;

export type IdKind = keyof typeof idPrefixes;

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

/** Crockford base32 of a 48-bit millisecond clock then 80 random bits: ids sort by creation time. */
export function newId(kind: IdKind): string {
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

/** A zod schema accepting only ids of one kind, so a command id can never be passed as an agent id. */
export function idSchema(kind: IdKind) {
  const prefix = idPrefixes[kind];
  return z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), { message: `must be a ${kind} id (${prefix}_…)` });
}
