import type { LeasedCommand, ReportResultInput } from "@redflag/contracts";
import { type ConfigFile, stateDirectoryOf } from "../config/config.ts";
import { type StateFiles, stateFiles } from "../config/paths.ts";
import { currentEnvironment } from "../environment.ts";
import { logger } from "../logging.ts";
import { NonceStore } from "./nonce-store.ts";
import { TrustStore } from "./trust-store.ts";
import { type Verification, verifyCommand } from "./verify-command.ts";

const log = logger("trust");

/** One nonce store per file in this process: commands running side by side never overwrite each other's nonces. */
const nonceStores = new Map<string, NonceStore>();

function nonceStoreAt(path: string): NonceStore {
  let store = nonceStores.get(path);
  if (!store) {
    store = new NonceStore(path);
    nonceStores.set(path, store);
  }
  return store;
}

export type CommandTrustContext = {
  config: ConfigFile;
  agentId: string;
  /** The state directory's files (found from the config and environment when not given). */
  files?: StateFiles;
};

function filesOf(context: { config: ConfigFile; files?: StateFiles }): StateFiles {
  return context.files ?? stateFiles(stateDirectoryOf(currentEnvironment(), context.config));
}

/**
 * Applies the key statements of a check-in answer (a rotation's new key, an old key's retirement):
 * each is taken only when signed by a key this agent already trusts. For the daemon, after each
 * check-in; commands signed by a new key carry the same statements, so nothing waits on it.
 */
export function learnServerKeys(context: { config: ConfigFile; files?: StateFiles }, statements: unknown) {
  if (!Array.isArray(statements) || statements.length === 0) return;
  new TrustStore(context.config.serverKeys ?? [], filesOf(context).trustedKeys).apply(statements);
}

/**
 * Checks a leased command before any of it runs. Key statements riding along (during a rotation, a
 * command signed by the new key carries the old key's announcement of it) are applied first, and only
 * take effect when signed by a key already trusted.
 */
export function checkLeasedCommand(command: LeasedCommand, context: CommandTrustContext): Verification {
  const files = filesOf(context);
  const trust = new TrustStore(context.config.serverKeys ?? [], files.trustedKeys);
  // As received, not as typed: the check-in answer is not validated on the way in.
  const statements: unknown = command.keyStatements;
  if (Array.isArray(statements) && statements.length > 0) trust.apply(statements);
  const verification = verifyCommand(command, {
    agentId: context.agentId,
    keys: trust.keys(),
    now: new Date(),
    nonces: nonceStoreAt(files.nonces),
  });
  if (!verification.ok)
    log.error("Refused {type} command {id}: {reason} ({message})", {
      type: String(command.type),
      id: String(command.id),
      reason: verification.reason,
      message: verification.message,
    });
  return verification;
}

/** The result reported for a refused command: failed, never run, with the reason in a word. */
export function refusedResult(
  command: LeasedCommand,
  refusal: Extract<Verification, { ok: false }>,
  startedAt: Date,
): ReportResultInput {
  return {
    commandId: command.id,
    startedAt,
    finishedAt: new Date(),
    status: "failed",
    exitCode: null,
    output: `Refused: ${refusal.message} (${refusal.reason}). The command was not run.`,
    items: [],
    result: { refused: refusal.reason },
  };
}
