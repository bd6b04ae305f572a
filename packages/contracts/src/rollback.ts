import type { CommandTarget, ItemOutcome } from "./agent.ts";
import type { CommandStatus, CommandType } from "./enums.ts";

/**
 * The targets of a finished install that a rollback could put back: installed by it, with a known
 * previous version that its installer said is still obtainable. The one rule for the server, which
 * queues the rollback, and the dashboard, which offers it.
 */
export function rollbackCandidates(command: {
  type: CommandType;
  status: CommandStatus;
  targets: CommandTarget[];
  itemOutcomes: ItemOutcome[] | null;
}): CommandTarget[] {
  if (command.type !== "install" || (command.status !== "succeeded" && command.status !== "failed"))
    return [];
  const outcomes = new Map((command.itemOutcomes ?? []).map((outcome) => [outcome.updateId, outcome]));
  return command.targets.filter((target) => {
    const outcome = outcomes.get(target.updateId);
    return (
      target.currentVersion !== null && outcome?.status === "installed" && outcome.rollbackAvailable === true
    );
  });
}
