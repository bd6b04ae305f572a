import { hash, verify } from "@node-rs/argon2";

// OWASP's Argon2id baseline (19 MiB, 2 passes); @node-rs/argon2 defaults to Argon2id.
const options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return verify(passwordHash, password, options);
}

/** A hash to verify against when the user does not exist, so timing does not reveal usernames. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword("redflag-dummy-password");
  return dummyHash;
}
