import type { CommandId, LeasedCommand } from "@redflag/contracts";
import { describeError } from "../errors.ts";
import { logger } from "../logging.ts";

const log = logger("daemon");

/** Work that touches the package managers: done one at a time, beside the poll loop. */
/** `fetchedBy`: the request id of the check-in that handed the command out, for the logs. */
export type Job = { kind: "scan" } | { kind: "command"; command: LeasedCommand; fetchedBy?: string };

/**
 * Runs jobs one after another, in the order given, without holding up the poll loop: a 30-minute
 * install never keeps the agent from checking in. One at a time, since two package-manager runs
 * would only wait for each other's locks.
 */
export class JobQueue {
  private readonly waiting: Job[] = [];
  private current: Job | null = null;
  private draining: Promise<void> | null = null;

  constructor(
    private readonly run: (job: Job) => Promise<void>,
    /** Called each time the queue runs dry. */
    private readonly onIdle: () => void = () => {},
  ) {}

  add(job: Job) {
    this.waiting.push(job);
    this.draining ??= this.drain();
  }

  /** Commands queued or running, for the check-in that extends their leases. */
  heldCommandIds(): CommandId[] {
    return [this.current, ...this.waiting].flatMap((job) =>
      job?.kind === "command" ? [job.command.id] : [],
    );
  }

  holds(id: CommandId): boolean {
    return this.heldCommandIds().includes(id);
  }

  hasScan(): boolean {
    return [this.current, ...this.waiting].some((job) => job?.kind === "scan");
  }

  /** The running job, if any. */
  running(): Job | null {
    return this.current;
  }

  /** Removes and returns the jobs that have not started. */
  takeWaiting(): Job[] {
    return this.waiting.splice(0);
  }

  /** Resolves when nothing runs. */
  idle(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }

  private async drain() {
    for (let job = this.waiting.shift(); job; job = this.waiting.shift()) {
      this.current = job;
      try {
        await this.run(job);
      } catch (error) {
        // `run` reports its own failures; this is a fault of the daemon itself.
        log.error("A {kind} job failed unexpectedly: {error}", {
          kind: job.kind,
          error: describeError(error),
        });
      } finally {
        this.current = null;
      }
    }
    this.draining = null;
    this.onIdle();
  }
}
