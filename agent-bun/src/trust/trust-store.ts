import { z } from "zod";
import { readFileIfExists, writeFileAtomically } from "../config/files.ts";
import { logger } from "../logging.ts";
import {
  applyKeyStatements,
  type KeySetChange,
  type ServerKey,
  serverKeySchema,
  type TrustedKey,
  toServerKey,
  trustedKey,
} from "./keys.ts";

const log = logger("trust");

const fileSchema = z.object({
  version: z.literal(1),
  /** Keys announced by a trusted key since registration. */
  added: z.array(serverKeySchema).max(20),
  /** Fingerprints retired since registration: never trusted again, whoever announces them. */
  retired: z.array(z.string()).max(100),
});
type TrustFile = z.infer<typeof fileSchema>;

/**
 * The keys this agent trusts: those pinned in the config file at registration, plus those announced
 * since, minus those retired. Rotations are kept in the state directory, written only here, so the
 * config file (which the daemon and token renewal rewrite) never races with them.
 */
export class TrustStore {
  private state: TrustFile;

  constructor(
    private readonly pinned: readonly ServerKey[],
    private readonly path: string,
  ) {
    const text = readFileIfExists(path);
    const parsed = text === null ? null : fileSchema.safeParse(safeJson(text));
    if (parsed && !parsed.success)
      log.error("{path} is invalid and ignored: only the pinned keys are trusted", { path });
    this.state = parsed?.success ? parsed.data : { version: 1, added: [], retired: [] };
  }

  keys(): TrustedKey[] {
    const retired = new Set(this.state.retired);
    const keys = [...this.pinned, ...this.state.added].map((key) => trustedKey(key.publicKey));
    return keys.filter(
      (key, index) =>
        !retired.has(key.fingerprint) &&
        keys.findIndex((other) => other.fingerprint === key.fingerprint) === index,
    );
  }

  /** Applies signed key statements from the server and saves what changed. */
  apply(statements: readonly unknown[]): KeySetChange {
    const change = applyKeyStatements(this.keys(), statements, new Set(this.state.retired));
    for (const rejection of change.rejected)
      log.warn("Key statement ignored ({kind} {key}): {reason}", {
        kind: rejection.statement.kind,
        key: rejection.statement.publicKey,
        reason: rejection.reason,
      });
    if (change.added.length === 0 && change.retired.length === 0) return change;
    for (const key of change.added) log.info("Now trusting the server key {fingerprint}", key);
    for (const fingerprint of change.retired)
      log.info("No longer trusting the server key {fingerprint}", { fingerprint });
    const retired = [...this.state.retired, ...change.retired].slice(-100);
    this.state = {
      version: 1,
      added: [...this.state.added, ...change.added.map(toServerKey)]
        .filter((key) => !retired.includes(key.fingerprint))
        .slice(-20),
      retired,
    };
    writeFileAtomically(this.path, `${JSON.stringify(this.state, null, 2)}\n`);
    return change;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
