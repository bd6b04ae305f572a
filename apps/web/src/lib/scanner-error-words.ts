import type { AgentErrorKind } from "@redflag/contracts";

const kindWords: Record<AgentErrorKind, string> = {
  missing: "not installed or cannot start",
  failed: "failed",
  unrecognized: "printed output the agent cannot read",
  invalid_input: "was given a name it refuses",
  unavailable: "a service did not answer",
  unauthorized: "credentials missing or refused",
  locked: "locked by another process",
  timed_out: "timed out",
};

/** A scanner's failure in a few words: "locked by another process, will retry". */
export function scannerErrorWords(scanner: { errorKind: AgentErrorKind | null; retryable: boolean }): string {
  const words = scanner.errorKind === null ? "failed" : kindWords[scanner.errorKind];
  return scanner.retryable ? `${words}, will retry` : words;
}
