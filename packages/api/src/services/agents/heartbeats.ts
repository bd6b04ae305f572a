import type { AgentId, Metrics } from "@redflag/contracts";
import type { Database } from "@redflag/db";
import { sql } from "drizzle-orm";

export type Heartbeat = {
  agentId: AgentId;
  /** The generation in the caller's token: a revoked family's heartbeat changes nothing. */
  tokenGeneration: number;
  at: Date;
  agentVersion: string;
  metrics: Metrics;
  rebootRequired: boolean;
  rebootReasons: string[];
};

type Pending = {
  heartbeat: Heartbeat;
  settle: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
};

/** Past this many remembered agents, the oldest memories are dropped (they only save writes). */
const rememberedAgentsLimit = 200_000;

/**
 * Writes agents' heartbeats by group commit: a heartbeat waits for the write under way (if any), and
 * all heartbeats that arrived meanwhile go in the next single statement. Each caller's promise settles
 * when its heartbeat is in the database, so an answered check-in is recorded as before; under load
 * thousands of check-ins share a handful of commits instead of one each.
 *
 * It also remembers when it last wrote each agent, so a long-poll check-in can skip its write while
 * the last one is younger than the agent's poll interval: holding a request open adds no writes.
 */
export class HeartbeatWriter {
  readonly #db: Database;
  #queued = new Map<AgentId, Pending>();
  #writing: Promise<void> | null = null;
  readonly #lastWritten = new Map<AgentId, number>();

  constructor(db: Database) {
    this.#db = db;
  }

  /** When this process last wrote `agentId`'s heartbeat (epoch ms), or null. */
  lastWritten(agentId: AgentId): number | null {
    return this.#lastWritten.get(agentId) ?? null;
  }

  /** Resolves once the heartbeat (or a newer one of the same agent) is written. */
  write(heartbeat: Heartbeat): Promise<void> {
    return new Promise((resolve, reject) => {
      const queued = this.#queued.get(heartbeat.agentId);
      if (queued) {
        queued.heartbeat = heartbeat;
        queued.settle.push({ resolve, reject });
      } else {
        this.#queued.set(heartbeat.agentId, { heartbeat, settle: [{ resolve, reject }] });
      }
      if (!this.#writing) this.#writing = this.#drain();
    });
  }

  async #drain(): Promise<void> {
    // Let the check-ins of this turn of the event loop join the first batch.
    await Promise.resolve();
    while (this.#queued.size > 0) {
      const batch = [...this.#queued.values()];
      this.#queued = new Map();
      try {
        await this.#writeBatch(batch.map((pending) => pending.heartbeat));
        const now = Date.now();
        for (const pending of batch) {
          this.#remember(pending.heartbeat.agentId, now);
          for (const { resolve } of pending.settle) resolve();
        }
      } catch (error) {
        for (const pending of batch) for (const { reject } of pending.settle) reject(error);
      }
    }
    this.#writing = null;
  }

  async #writeBatch(heartbeats: Heartbeat[]): Promise<void> {
    const rows = heartbeats.map((heartbeat) => ({
      id: heartbeat.agentId,
      generation: heartbeat.tokenGeneration,
      at: heartbeat.at.toISOString(),
      version: heartbeat.agentVersion,
      metrics: heartbeat.metrics,
      reboot_required: heartbeat.rebootRequired,
      reboot_reasons: heartbeat.rebootRequired ? heartbeat.rebootReasons : [],
    }));
    await this.#db.execute(sql`
      update agents set last_check_in_at = beat.at, agent_version = beat.version, metrics = beat.metrics,
        reboot_required = beat.reboot_required, reboot_reasons = beat.reboot_reasons
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as beat(id text, generation integer,
        at timestamptz, version text, metrics jsonb, reboot_required boolean, reboot_reasons jsonb)
      where agents.id = beat.id and agents.token_generation = beat.generation`);
  }

  #remember(agentId: AgentId, at: number): void {
    this.#lastWritten.delete(agentId);
    this.#lastWritten.set(agentId, at);
    if (this.#lastWritten.size > rememberedAgentsLimit) {
      const oldest = this.#lastWritten.keys().next().value;
      if (oldest !== undefined) this.#lastWritten.delete(oldest);
    }
  }

  /** Forgets an agent, so its next check-in writes (its token family was revoked, say). */
  forget(agentId: AgentId): void {
    this.#lastWritten.delete(agentId);
  }
}
