import type { CommandId, CommandType } from "@redflag/contracts";
import { z } from "zod";
import { readFileIfExists, writeFileAtomically } from "../config/files.ts";
import { commandIdPattern } from "../limits.ts";

/** Finished command ids are remembered this long (and at most this many), to refuse a second run. */
const rememberFinishedMs = 7 * 24 * 3600_000;
const maxFinished = 1000;

const entrySchema = z.object({
  id: z
    .string()
    .regex(commandIdPattern)
    .transform((id) => id as CommandId),
  type: z
    .string()
    .regex(/^[a-z_]{1,32}$/)
    .transform((type) => type as CommandType),
  startedAt: z.coerce.date(),
});
export type LedgerEntry = z.infer<typeof entrySchema>;

const ledgerSchema = z.object({
  running: z.array(entrySchema).max(100).default([]),
  finished: z
    .array(z.object({ id: z.string().regex(commandIdPattern), at: z.coerce.date() }))
    .max(maxFinished * 2)
    .default([]),
});
type LedgerFile = z.infer<typeof ledgerSchema>;

/**
 * Which commands this agent has started, on disk before each one starts: a command still marked
 * running when the agent starts again was interrupted (a crash, a kill, a power cut) and is reported
 * as such instead of being run a second time; a finished one handed out again is refused.
 * The file is flushed to disk at each change, so a power cut cannot hide a started install.
 */
export class CommandLedger {
  private file: LedgerFile;
  /** Set when the file on disk could not be read: it was kept aside and a new ledger begun. */
  readonly damaged: string | null;

  constructor(private readonly path: string) {
    const loaded = load(path);
    this.file = loaded.file;
    this.damaged = loaded.damaged;
  }

  /** Where a command stands on this agent: started and not finished, finished, or never seen. */
  status(id: CommandId): "running" | "finished" | null {
    if (this.file.running.some((entry) => entry.id === id)) return "running";
    if (this.file.finished.some((entry) => entry.id === id)) return "finished";
    return null;
  }

  start(command: { id: CommandId; type: CommandType }, now = new Date()) {
    this.file.running.push({ id: command.id, type: command.type, startedAt: now });
    this.save();
  }

  finish(id: CommandId, now = new Date()) {
    this.file.running = this.file.running.filter((entry) => entry.id !== id);
    this.file.finished = [...this.file.finished.filter((entry) => entry.id !== id), { id, at: now }]
      .filter((entry) => now.getTime() - entry.at.getTime() < rememberFinishedMs)
      .slice(-maxFinished);
    this.save();
  }

  /** The commands a previous run of the agent left running; from now on they count as finished. */
  takeInterrupted(now = new Date()): LedgerEntry[] {
    const interrupted = this.file.running;
    for (const entry of interrupted) this.finish(entry.id, now);
    return interrupted;
  }

  private save() {
    writeFileAtomically(this.path, `${JSON.stringify(this.file)}\n`, 0o600, true);
  }
}

function load(path: string): { file: LedgerFile; damaged: string | null } {
  const text = readFileIfExists(path);
  if (text === null) return { file: ledgerSchema.parse({}), damaged: null };
  try {
    return { file: ledgerSchema.parse(JSON.parse(text)), damaged: null };
  } catch (error) {
    // Kept for a person to read; the agent goes on with a new ledger rather than stop for good.
    writeFileAtomically(`${path}.damaged`, text);
    return {
      file: ledgerSchema.parse({}),
      damaged: `The command ledger ${path} could not be read (${(error as Error).message}); kept as ${path}.damaged`,
    };
  }
}
