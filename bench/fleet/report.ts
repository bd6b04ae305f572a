import type { InjectedFault } from "./faults.ts";
import { type Outcome, percentile, type Recorder, windowEnd } from "./recorder.ts";

const seconds = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? "never" : `${(ms / 1000).toFixed(1)} s`;

function countOutcomes(outcomes: Outcome[]): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) {
    const key = typeof outcome === "number" ? `HTTP ${outcome}` : outcome;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts.size === 0 ? "none" : [...counts].map(([key, count]) => `${count} ${key}`).join(", ");
}

/** Throughput and latency outside the fault windows, then each window's errors and recovery. */
export function printFigures(options: {
  recorder: Recorder;
  faults: InjectedFault[];
  runStart: number;
  runEnd: number;
  graceMs: number;
}) {
  const { recorder, runStart, runEnd, graceMs } = options;
  const inRun = recorder.requests.filter(
    (request) => request.startedAt >= runStart && request.startedAt < runEnd,
  );
  const outside = inRun.filter((request) => !recorder.touchesWindow(request, graceMs));
  const checkIns = outside.filter((request) => request.procedure === "agent.checkIn");
  const succeeded = checkIns.filter((request) => request.outcome === 200);
  let windowMs = 0;
  for (const fault of options.faults) {
    const end = Math.min(runEnd, windowEnd(fault.window, graceMs, runEnd));
    windowMs += Math.max(0, end - Math.max(runStart, fault.window.startedAt));
  }
  const outsideSeconds = (runEnd - runStart - windowMs) / 1000;
  const plain = succeeded
    .filter((request) => request.waitSeconds === 0)
    .map((request) => request.endedAt - request.startedAt)
    .sort((a, b) => a - b);
  const held = succeeded
    .filter((request) => request.waitSeconds > 0)
    .map((request) => request.endedAt - request.startedAt)
    .sort((a, b) => a - b);
  console.log(
    `\nOutside the fault windows (${outsideSeconds.toFixed(0)} s of ${((runEnd - runStart) / 1000).toFixed(0)} s):`,
  );
  console.log(
    `  check-ins: ${succeeded.length} succeeded, ${(succeeded.length / Math.max(1, outsideSeconds)).toFixed(1)} check-ins/s; failed: ${countOutcomes(checkIns.filter((request) => request.outcome !== 200).map((request) => request.outcome))}`,
  );
  console.log(
    `  plain check-ins: ${plain.length}, p50 ${percentile(plain, 50).toFixed(1)} ms, p99 ${percentile(plain, 99).toFixed(1)} ms`,
  );
  if (held.length > 0) {
    console.log(
      `  long-poll check-ins: ${held.length}, held p50 ${percentile(held, 50).toFixed(0)} ms, p99 ${percentile(held, 99).toFixed(0)} ms`,
    );
  } else {
    console.log("  long-poll check-ins: none (the server's answers carried no positive longPollSeconds)");
  }
  const others = outside.filter((request) => request.procedure !== "agent.checkIn");
  console.log(
    `  other agent calls: ${others.length}; failed: ${countOutcomes(others.filter((request) => request.outcome !== 200).map((request) => request.outcome))}`,
  );

  for (const fault of options.faults) {
    const { window } = fault;
    const end = windowEnd(window, graceMs, recorder.now());
    const during = recorder.requests.filter(
      (request) => request.startedAt <= end && request.endedAt >= window.startedAt && request.outcome !== 200,
    );
    const since = (at: number | null) => (at === null ? null : at - window.startedAt);
    console.log(`\n${window.name} at ${seconds(window.startedAt - runStart)} into the run:`);
    if (window.batchSize !== undefined) {
      console.log(
        `  install commands queued for the hand-out: ${window.batchSize}, leased when the server died: ${window.leasedAtKill ?? 0}, answers lost (leased, never received): ${fault.lostAnswers?.length ?? 0}`,
      );
    }
    console.log(`  errors in the window: ${countOutcomes(during.map((request) => request.outcome))}`);
    const late = during.filter(
      (request) =>
        typeof request.outcome === "number" &&
        request.outcome >= 500 &&
        window.backAt !== null &&
        request.endedAt > window.backAt + graceMs,
    );
    if (late.length > 0)
      console.log(`  of which 5xx answered more than the grace after it was back: ${late.length}`);
    console.log(
      `  back after ${seconds(since(window.backAt))}; first check-in after ${seconds(since(window.firstCheckInAt))}; ${window.affected.size === 0 ? "no check-in failed" : `the ${window.affected.size} agents whose check-in failed all checked in again after ${seconds(since(window.roundAt))}`}`,
    );
  }
}
