import { type Database, schedulerJobs } from "@redflag/db";
import { and, eq, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { ServerConfig } from "../config.ts";
import { serverLogger } from "../logging/logger.ts";

const log = serverLogger("scheduler");

/** What a job run is given: the database, the server's config, and the time it runs at (a clock tests set). */
export type JobContext = { db: Database; config: ServerConfig; now: Date };

/**
 * A job of the server's one scheduler. `nextRunAfter` says when it runs again after a run at `now`
 * (a fixed interval, or the next occurrence of something); `run` does the work and may be cut by a
 * crash at any point, so it must be safe to run again (every job's state is in the database).
 */
export type ScheduledJob = {
  name: string;
  nextRunAfter: (now: Date) => Date;
  run: (context: JobContext) => Promise<void>;
};

export function every(seconds: number): (now: Date) => Date {
  return (now) => new Date(now.getTime() + seconds * 1000);
}

export type SchedulerOptions = {
  db: Database;
  config: ServerConfig;
  jobs: ScheduledJob[];
  /** Names this instance in `locked_by`. */
  instanceId?: string;
  /** The time jobs see; tests move it. */
  clock?: () => Date;
  /** How long a claimed job is this instance's before another may take it (a crash mid-run). */
  leaseSeconds?: number;
  /** Called with a job that threw; the error is also kept in the job's row. */
  onError?: (job: string, error: unknown) => void;
};

/**
 * Runs each due job once across every server instance sharing the database: a run starts by claiming
 * the job's row with `FOR UPDATE SKIP LOCKED` and a lease, so two instances never run it together, and
 * it ends by writing the next run time, so restarts neither skip nor repeat runs.
 */
export class Scheduler {
  readonly instanceId: string;
  private readonly jobs: Map<string, ScheduledJob>;
  private readonly clock: () => Date;
  private readonly leaseSeconds: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private ticking: Promise<string[]> | null = null;
  private registered: Promise<void> | null = null;

  constructor(private readonly options: SchedulerOptions) {
    this.jobs = new Map(options.jobs.map((job) => [job.name, job]));
    this.instanceId = options.instanceId ?? `${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
    this.clock = options.clock ?? (() => new Date());
    this.leaseSeconds = options.leaseSeconds ?? 300;
  }

  /** Ticks every `intervalMs` until `stop`. */
  start(intervalMs: number): void {
    if (this.timer || intervalMs <= 0) return;
    this.timer = setInterval(() => {
      void this.tick();
    }, intervalMs);
    this.timer.unref?.();
    void this.tick();
  }

  /** Stops ticking and waits for a run under way to end. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking?.catch(() => []);
  }

  /** Runs every job that is due now, one after another; returns the names run. Overlapping ticks share one. */
  tick(): Promise<string[]> {
    if (!this.ticking) {
      this.ticking = this.runDueJobs().finally(() => {
        this.ticking = null;
      });
    }
    return this.ticking;
  }

  /** Makes a job due now (a policy was saved, "send test"), on whichever instance ticks first. */
  async requestRun(name: string): Promise<void> {
    await this.register();
    await this.options.db
      .update(schedulerJobs)
      .set({ nextRunAt: this.clock() })
      .where(eq(schedulerJobs.name, name));
  }

  private register(): Promise<void> {
    this.registered ??= (async () => {
      const now = this.clock();
      await this.options.db
        .insert(schedulerJobs)
        .values([...this.jobs.keys()].map((name) => ({ name, nextRunAt: now })))
        .onConflictDoNothing();
    })().catch((error: unknown) => {
      this.registered = null;
      throw error;
    });
    return this.registered;
  }

  private async runDueJobs(): Promise<string[]> {
    const ran: string[] = [];
    try {
      await this.register();
      for (;;) {
        const job = await this.claimDueJob();
        if (!job) break;
        ran.push(job.name);
        await this.runClaimed(job);
      }
    } catch (error) {
      this.options.onError?.("scheduler", error);
    }
    return ran;
  }

  private async claimDueJob(): Promise<ScheduledJob | null> {
    const now = this.clock();
    const leaseUntil = new Date(now.getTime() + this.leaseSeconds * 1000);
    const claimed = await this.options.db.transaction(async (tx) => {
      const [due] = await tx
        .select({ name: schedulerJobs.name })
        .from(schedulerJobs)
        .where(
          and(
            inArray(schedulerJobs.name, [...this.jobs.keys()]),
            lte(schedulerJobs.nextRunAt, now),
            or(isNull(schedulerJobs.lockedUntil), lt(schedulerJobs.lockedUntil, now)),
          ),
        )
        .orderBy(schedulerJobs.nextRunAt)
        .limit(1)
        .for("update", { skipLocked: true });
      if (!due) return null;
      await tx
        .update(schedulerJobs)
        .set({
          lockedBy: this.instanceId,
          lockedUntil: leaseUntil,
          lastStartedAt: now,
          runs: sql`${schedulerJobs.runs} + 1`,
        })
        .where(eq(schedulerJobs.name, due.name));
      return due.name;
    });
    return claimed ? (this.jobs.get(claimed) ?? null) : null;
  }

  private async runClaimed(job: ScheduledJob): Promise<void> {
    const startedAt = this.clock();
    let lastError: string | null = null;
    try {
      await job.run({ db: this.options.db, config: this.options.config, now: startedAt });
    } catch (error) {
      lastError = describeError(error);
      this.options.onError?.(job.name, error);
    }
    const finishedAt = this.clock();
    // Some jobs run every few seconds: a run that went well is a debug line, one that failed a warning.
    const run = {
      job: job.name,
      outcome: lastError === null ? "succeeded" : "failed",
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      error: lastError,
    };
    if (lastError === null) log.debug("Scheduled job {job} {outcome} in {durationMs} ms", run);
    else log.warn("Scheduled job {job} {outcome} in {durationMs} ms: {error}", run);
    await this.options.db
      .update(schedulerJobs)
      .set({
        lockedBy: null,
        lockedUntil: null,
        lastFinishedAt: finishedAt,
        lastError,
        // Never before the run's end: a slow run does not make the next one due at once.
        nextRunAt: job.nextRunAfter(finishedAt),
      })
      .where(and(eq(schedulerJobs.name, job.name), eq(schedulerJobs.lockedBy, this.instanceId)));
  }
}

function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current && parts.length < 5) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(": ").slice(0, 2000);
}
