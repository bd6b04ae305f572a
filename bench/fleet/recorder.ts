/**
 * Every HTTP request the simulated agents make, as it ended: which procedure, when, how long, and its
 * outcome (an HTTP status, or how the connection failed). The report and the 5xx check read it.
 */
export type Outcome = number | "refused" | "reset" | "timeout" | "other";

export type RequestRecord = {
  procedure: string;
  /** ms since the run's clock started. */
  startedAt: number;
  endedAt: number;
  outcome: Outcome;
  /** The wait the check-in asked for (0: a plain check-in). */
  waitSeconds: number;
  agentIndex: number;
};

export type FaultWindow = {
  name: string;
  startedAt: number;
  /** When the server answered /api/health again, or pg_ctl's restart returned. */
  backAt: number | null;
  /** First check-in, started after the fault, that succeeded. */
  firstCheckInAt: number | null;
  /**
   * The agents that met the fault (a check-in failed: no answer, or a 5xx), each with the time of its
   * latest failure; `recovered` those that checked in successfully since.
   */
  affected: Map<number, number>;
  recovered: Set<number>;
  /** When, with the failed part back, every agent that met the fault had checked in again. */
  roundAt: number | null;
  /** For a kill timed on the hand-out: commands leased in the database when the server was killed. */
  leasedAtKill?: number;
  batchSize?: number;
};

export class Recorder {
  readonly origin = performance.now();
  readonly requests: RequestRecord[] = [];
  readonly windows: FaultWindow[] = [];

  now(): number {
    return performance.now() - this.origin;
  }

  record(record: Omit<RequestRecord, "endedAt">) {
    const endedAt = this.now();
    this.requests.push({ ...record, endedAt });
    // Recovery is the check-in loop's: a progress report lost meanwhile is the outbox's to retry.
    const failed = typeof record.outcome !== "number" || record.outcome >= 500;
    if (!failed || record.procedure !== "agent.checkIn") return;
    for (const window of this.windows) {
      if (window.roundAt !== null || endedAt < window.startedAt) continue;
      window.affected.set(record.agentIndex, endedAt);
      window.recovered.delete(record.agentIndex);
    }
  }

  /** A check-in that started at `startedAt` succeeded: it may complete a fault's round. */
  checkedIn(agentIndex: number, startedAt: number) {
    const now = this.now();
    for (const window of this.windows) {
      if (window.roundAt !== null || startedAt < window.startedAt) continue;
      window.firstCheckInAt ??= now;
      const failedAt = window.affected.get(agentIndex);
      if (failedAt !== undefined && startedAt > failedAt) window.recovered.add(agentIndex);
      if (window.backAt !== null && window.recovered.size === window.affected.size) window.roundAt = now;
    }
  }

  openWindow(name: string): FaultWindow {
    const window: FaultWindow = {
      name,
      startedAt: this.now(),
      backAt: null,
      firstCheckInAt: null,
      affected: new Map(),
      recovered: new Set(),
      roundAt: null,
    };
    this.windows.push(window);
    return window;
  }

  /**
   * Whether a request started or ended in a fault window (which lasts until the round of check-ins
   * completed and the grace after the failed part was back).
   */
  touchesWindow(request: RequestRecord, graceMs: number): boolean {
    const now = this.now();
    return this.windows.some((window) => {
      const end = windowEnd(window, graceMs, now);
      return request.endedAt >= window.startedAt && request.startedAt <= end;
    });
  }

  /**
   * Whether a 5xx is excused: answered while the server or database was down, or within the grace
   * after it was back. Later ones are not, however long the agents take to come back.
   */
  answeredWhileDown(request: RequestRecord, graceMs: number): boolean {
    const now = this.now();
    return this.windows.some(
      (window) => request.endedAt >= window.startedAt && request.endedAt <= (window.backAt ?? now) + graceMs,
    );
  }
}

/** A window ends when both the round of check-ins completed and the grace after "back" ran out. */
export function windowEnd(window: FaultWindow, graceMs: number, now: number): number {
  const back = window.backAt === null ? now : window.backAt + graceMs;
  const round = window.roundAt ?? now;
  return Math.max(back, round);
}

export function classifyFailure(error: unknown): Outcome {
  const text = `${(error as { name?: string })?.name ?? ""} ${(error as { code?: string })?.code ?? ""} ${String(error)}`;
  if (/Timeout|TimeoutError|timed out/i.test(text)) return "timeout";
  if (/ECONNREFUSED|ConnectionRefused|Unable to connect/i.test(text)) return "refused";
  if (/ECONNRESET|socket|closed|ConnectionClosed|aborted/i.test(text)) return "reset";
  return "other";
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
