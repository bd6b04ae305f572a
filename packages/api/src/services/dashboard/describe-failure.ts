import type { CommandStatus, CommandType, ItemOutcome } from "@redflag/contracts";

export type FailedCommand = {
  type: CommandType;
  status: CommandStatus;
  exitCode: number | null;
  progressMessage: string | null;
  output: string | null;
  itemOutcomes: ItemOutcome[] | null;
  result: Record<string, unknown> | null;
};

const maxReasonLength = 300;
/** Lines a package manager prints when it gives up: apt's "E:", dnf's "Error:", winget's "error …". */
const errorLine = /^\s*(E:|Error[:\s]|error[:\s]|fatal[:\s]|FATAL)/;

/**
 * Why a command failed, in the agent's own words: the failed items' messages, else an error the
 * result names (per package type for a dry run), else the output's error lines — never the last
 * progress line, which says what was going on, not what went wrong.
 */
export function describeFailure(command: FailedCommand): string {
  if (command.status === "timed_out") return `${command.type} timed out: the agent never reported a result`;
  const head = `${command.type} failed${command.exitCode === null ? "" : ` (exit code ${command.exitCode})`}`;
  const reason = reasonOf(command);
  return reason ? `${head}: ${shorten(reason)}` : head;
}

function reasonOf(command: FailedCommand): string | null {
  const itemMessages = unique(
    (command.itemOutcomes ?? [])
      .filter((item) => item.status === "failed" && item.message.trim() !== "")
      .map((item) => item.message.trim()),
  );
  if (itemMessages.length > 0) return itemMessages.join("; ");
  const resultErrors = resultErrorsOf(command.result);
  if (resultErrors.length > 0) return resultErrors.join("; ");
  const lines = (command.output ?? "")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  const errors = unique(lines.filter((line) => errorLine.test(line)));
  if (errors.length > 0) return errors.join(" ");
  return lines.at(-1) ?? null;
}

function resultErrorsOf(result: Record<string, unknown> | null): string[] {
  if (!result) return [];
  const errors: string[] = [];
  if (typeof result.error === "string" && result.error.trim()) errors.push(result.error.trim());
  const plans = result.plans;
  if (plans && typeof plans === "object") {
    for (const [packageType, plan] of Object.entries(plans as Record<string, unknown>)) {
      const error = plan && typeof plan === "object" ? (plan as { error?: unknown }).error : undefined;
      if (typeof error === "string" && error.trim()) errors.push(`${packageType}: ${error.trim()}`);
    }
  }
  return errors;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function shorten(text: string): string {
  return text.length > maxReasonLength ? `${text.slice(0, maxReasonLength - 1)}…` : text;
}
