import type { AgentId } from "@redflag/contracts";
import type { DatabaseHandle } from "@redflag/db";

/** The channel drizzle/0008's trigger announces on, with the agent's id, when a command becomes pending. */
export const commandQueuedChannel = "redflag_command_queued";

export type WakeReason = "queued" | "timeout" | "aborted" | "stopped";

type Waiter = { wake: (reason: WakeReason) => void };

/**
 * Wakes long-poll check-ins when a command for their agent is queued. The database announces every
 * command that becomes pending (a trigger, so no code path can forget), on PostgreSQL to every server
 * instance listening and on the embedded database to this process; this process keeps the waiters of
 * its own held requests. After a lost listening connection every waiter is woken to look again, as
 * announcements sent meanwhile are gone.
 */
export class CommandWakeups {
  readonly #waiters = new Map<AgentId, Set<Waiter>>();
  #unlisten: (() => Promise<void>) | null = null;
  #stopped = false;

  /** Listens on the database; until it does, waits only end by their time limit. */
  static async start(handle: Pick<DatabaseHandle, "listen">): Promise<CommandWakeups> {
    const wakeups = new CommandWakeups();
    wakeups.#unlisten = await handle.listen(
      commandQueuedChannel,
      (agentId) => wakeups.wakeAgent(agentId as AgentId),
      () => wakeups.#wakeAll(),
    );
    return wakeups;
  }

  /** How many check-ins this process holds open. */
  get waiting(): number {
    let count = 0;
    for (const waiters of this.#waiters.values()) count += waiters.size;
    return count;
  }

  /**
   * Starts waiting for a command for `agentId`. Call before looking for work, so that a command queued
   * between that look and the wait is not missed; `cancel` when the look found work.
   */
  prepare(agentId: AgentId, options: { timeoutMs: number; signal?: AbortSignal | null }) {
    let settle: (reason: WakeReason) => void = () => {};
    const woken = new Promise<WakeReason>((resolve) => {
      settle = resolve;
    });
    if (this.#stopped) {
      return { woken: Promise.resolve<WakeReason>("stopped"), cancel: () => {}, shorten: () => {} };
    }
    const waiters = this.#waiters.get(agentId) ?? new Set<Waiter>();
    this.#waiters.set(agentId, waiters);
    let done = false;
    const started = Date.now();
    let timer = setTimeout(() => waiter.wake("timeout"), options.timeoutMs);
    const onAbort = () => waiter.wake("aborted");
    const waiter: Waiter = {
      wake: (reason) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        waiters.delete(waiter);
        if (waiters.size === 0 && this.#waiters.get(agentId) === waiters) this.#waiters.delete(agentId);
        settle(reason);
      },
    };
    waiters.add(waiter);
    if (options.signal?.aborted) waiter.wake("aborted");
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    return {
      woken,
      cancel: () => waiter.wake("aborted"),
      /** Ends the wait `timeoutMs` after it began, if that is sooner than its limit. */
      shorten: (timeoutMs: number) => {
        if (done || timeoutMs >= options.timeoutMs) return;
        clearTimeout(timer);
        timer = setTimeout(() => waiter.wake("timeout"), Math.max(0, started + timeoutMs - Date.now()));
      },
    };
  }

  wakeAgent(agentId: AgentId): void {
    const waiters = this.#waiters.get(agentId);
    if (!waiters) return;
    for (const waiter of [...waiters]) waiter.wake("queued");
  }

  #wakeAll(): void {
    for (const waiters of [...this.#waiters.values()]) {
      for (const waiter of [...waiters]) waiter.wake("queued");
    }
  }

  /** Ends every wait (their check-ins answer at once) and stops listening. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const waiters of [...this.#waiters.values()]) {
      for (const waiter of [...waiters]) waiter.wake("stopped");
    }
    const unlisten = this.#unlisten;
    this.#unlisten = null;
    await unlisten?.().catch(() => {});
  }
}
