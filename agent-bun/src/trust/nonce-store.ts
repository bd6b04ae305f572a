import { z } from "zod";
import { readFileIfExists, writeFileAtomically } from "../config/files.ts";
import { logger } from "../logging.ts";

const log = logger("trust");

/**
 * Most nonces kept. The server signs a command for at most an hour (verify-command.ts), and an agent
 * runs its commands one at a time, so a host never comes near this; the bound keeps a flood of
 * commands from growing the file without end (the entries expiring first go first).
 */
export const maxNonces = 10_000;

const fileSchema = z.object({
  version: z.literal(1),
  nonces: z.record(z.string(), z.number().int().nonnegative()),
});

/**
 * The nonces of commands the agent accepted, each kept until its command expires, on disk so a
 * restart does not make a command executable twice. Written before the command runs.
 */
export class NonceStore {
  private readonly nonces = new Map<string, number>();

  constructor(private readonly path: string) {
    const text = readFileIfExists(path);
    if (text === null) return;
    let parsed: z.infer<typeof fileSchema> | null = null;
    try {
      parsed = fileSchema.parse(JSON.parse(text));
    } catch (error) {
      // Starting with an empty store would let a replay through; refusing everything would stop the
      // agent for good. The file only ever holds unexpired nonces, so keep what can be read: nothing.
      log.error("The nonce store {path} is unreadable ({error}); commands are refused until it is removed", {
        path,
        error: (error as Error).message,
      });
      this.unreadable = true;
    }
    for (const [nonce, expiresAt] of Object.entries(parsed?.nonces ?? {})) this.nonces.set(nonce, expiresAt);
  }

  /** Set when the file exists but cannot be read: no command is accepted then (a replay could pass). */
  readonly unreadable: boolean = false;

  get size() {
    return this.nonces.size;
  }

  has(nonce: string): boolean {
    return this.nonces.has(nonce);
  }

  /**
   * Records a nonce until `expiresAt`; false when it was already recorded (a replay). Expired
   * entries are dropped first, then the oldest ones beyond `maxNonces`.
   */
  claim(nonce: string, expiresAt: Date, now: Date): boolean {
    if (this.unreadable) return false;
    this.prune(now);
    if (this.nonces.has(nonce)) return false;
    this.nonces.set(nonce, expiresAt.getTime());
    if (this.nonces.size > maxNonces) {
      const byExpiry = [...this.nonces.entries()].sort((a, b) => a[1] - b[1]);
      for (const [old] of byExpiry.slice(0, this.nonces.size - maxNonces)) this.nonces.delete(old);
    }
    writeFileAtomically(this.path, JSON.stringify({ version: 1, nonces: Object.fromEntries(this.nonces) }));
    return true;
  }

  private prune(now: Date) {
    for (const [nonce, expiresAt] of this.nonces) if (expiresAt < now.getTime()) this.nonces.delete(nonce);
  }
}
