/**
 * The harness's record of every command execution, across all simulated agents: command id → the
 * executions of it, and update id → the executions that installed it. A second entry under one key
 * is a command (or an update) run twice.
 */
export type Execution = {
  agentIndex: number;
  commandId: string;
  type: string;
  attempt: number;
  startedAt: number;
};

export class ExecutionLedger {
  readonly byCommand = new Map<string, Execution[]>();
  readonly installsByUpdate = new Map<string, Execution[]>();
  /** Every command id some agent received in a check-in's answer. */
  readonly received = new Set<string>();
  /** Commands offered again to an agent that already held or ran them (harmless: not run again). */
  secondOffers = 0;

  record(execution: Execution, installedUpdateIds: string[]) {
    this.byCommand.set(execution.commandId, [...(this.byCommand.get(execution.commandId) ?? []), execution]);
    for (const updateId of installedUpdateIds) {
      this.installsByUpdate.set(updateId, [...(this.installsByUpdate.get(updateId) ?? []), execution]);
    }
  }

  doubles() {
    return {
      commands: [...this.byCommand].filter(([, executions]) => executions.length > 1),
      updates: [...this.installsByUpdate].filter(([, executions]) => executions.length > 1),
    };
  }
}

/**
 * What one agent keeps of the commands it started, as agent-bun/src/daemon/ledger.ts does on disk:
 * a command handed out again after it started or ran here is not run a second time.
 */
export class AgentCommandLedger {
  private readonly entries = new Map<string, "running" | "finished">();

  status(commandId: string): "running" | "finished" | null {
    return this.entries.get(commandId) ?? null;
  }

  start(commandId: string) {
    this.entries.set(commandId, "running");
  }

  finish(commandId: string) {
    this.entries.set(commandId, "finished");
  }
}
