import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ReportResultInput, ReportScanInput } from "@redflag/contracts";
import superjson from "superjson";
import { writeFileAtomically } from "../config/files.ts";
import { ExitError, exitCodes } from "../errors.ts";
import type { AgentConnection } from "./client.ts";

export type OutboxEntry =
  | { kind: "reportScan"; payload: ReportScanInput }
  | { kind: "reportResult"; payload: ReportResultInput };

export type DeliveryReport = {
  delivered: number;
  rejected: number;
  pending: number;
  error: ExitError | null;
};

/**
 * Reports wait here on disk until the server has taken them: written before the first attempt
 * (so a crash or a down server loses nothing), removed only once the server answered.
 * The server treats a repeated report as the same state, so a retry after a lost answer is harmless.
 */
export class Outbox {
  private sequence = 0;

  constructor(private readonly directory: string) {}

  add(entry: OutboxEntry): string {
    mkdirSync(this.directory, { recursive: true });
    this.sequence++;
    const name = `${String(Date.now()).padStart(15, "0")}-${String(process.pid)}-${String(this.sequence).padStart(6, "0")}-${entry.kind}.json`;
    writeFileAtomically(join(this.directory, name), superjson.stringify(entry));
    return name;
  }

  pending(): string[] {
    try {
      return readdirSync(this.directory)
        .filter((name) => name.endsWith(".json"))
        .sort();
    } catch {
      return [];
    }
  }

  /** Sends what waits, oldest first; stops at the first failure worth retrying later. */
  async deliver(
    connection: AgentConnection,
    /** `requestId`: the call that delivered it (the server's log line for it has the same id). */
    onDelivered?: (entry: OutboxEntry, requestId: string) => void,
  ): Promise<DeliveryReport> {
    let delivered = 0;
    let rejected = 0;
    for (const name of this.pending()) {
      const path = join(this.directory, name);
      let entry: OutboxEntry;
      try {
        entry = parseEntry(readFileSync(path, "utf8"));
      } catch {
        this.setAside(name);
        rejected++;
        continue;
      }
      let requestId: string;
      try {
        if (entry.kind === "reportScan") {
          ({ requestId } = await connection.callTraced("the scan report", (agent) =>
            agent.reportScan.mutate(entry.payload),
          ));
        } else {
          ({ requestId } = await connection.callTraced("the command result", (agent) =>
            agent.reportResult.mutate(entry.payload),
          ));
        }
      } catch (error) {
        const failure =
          error instanceof ExitError
            ? error
            : new ExitError(String(error), { exitCode: exitCodes.internal, cause: error });
        if (failure.exitCode === exitCodes.serverRejected) {
          // The server will never take it (invalid, or the command is gone): keep it for a person, move on.
          this.setAside(name);
          rejected++;
          continue;
        }
        return { delivered, rejected, pending: this.pending().length, error: failure };
      }
      rmSync(path, { force: true });
      delivered++;
      onDelivered?.(entry, requestId);
    }
    return { delivered, rejected, pending: this.pending().length, error: null };
  }

  private setAside(name: string) {
    const rejectedDirectory = join(this.directory, "rejected");
    mkdirSync(rejectedDirectory, { recursive: true });
    renameSync(join(this.directory, name), join(rejectedDirectory, name));
  }
}

/**
 * The agent wrote these files itself (root-only directory) from typed payloads; the server checks
 * every payload against the contract, so only the envelope is checked here.
 */
function parseEntry(text: string): OutboxEntry {
  const value = superjson.parse<{ kind?: unknown; payload?: unknown }>(text);
  if (typeof value.payload !== "object" || value.payload === null)
    throw new Error("outbox entry without payload");
  if (value.kind === "reportScan") return { kind: "reportScan", payload: value.payload as ReportScanInput };
  if (value.kind === "reportResult")
    return { kind: "reportResult", payload: value.payload as ReportResultInput };
  throw new Error("unknown outbox entry");
}
