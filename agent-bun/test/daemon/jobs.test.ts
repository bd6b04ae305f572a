import { describe, expect, test } from "bun:test";
import { type LeasedCommand, newId } from "@redflag/contracts";
import { type Job, JobQueue } from "../../src/daemon/jobs.ts";

/** Only what the queue reads; signatures are checked where commands run, not here. */
function command(): LeasedCommand {
  return {
    id: newId("command"),
    type: "install",
    attempt: 1,
    leaseExpiresAt: new Date(),
    targets: [],
    parameters: {},
  } as unknown as LeasedCommand;
}

/** A job runner whose jobs finish when the test says so. */
function controlledRunner() {
  const started: Job[] = [];
  const finishers: (() => void)[] = [];
  const run = (job: Job) =>
    new Promise<void>((resolve) => {
      started.push(job);
      finishers.push(resolve);
    });
  return { started, run, finishNext: () => finishers.shift()?.() };
}

describe("the job queue", () => {
  test("runs one job at a time, in order, and holds every queued or running command", async () => {
    const runner = controlledRunner();
    let idleCalls = 0;
    const jobs = new JobQueue(runner.run, () => idleCalls++);
    const first = command();
    const second = command();
    jobs.add({ kind: "command", command: first });
    jobs.add({ kind: "scan" });
    jobs.add({ kind: "command", command: second });
    await Bun.sleep(0);
    expect(runner.started).toEqual([{ kind: "command", command: first }]);
    expect(jobs.heldCommandIds()).toEqual([first.id, second.id]);
    expect(jobs.hasScan()).toBe(true);
    runner.finishNext();
    await Bun.sleep(0);
    expect(runner.started.map((job) => job.kind)).toEqual(["command", "scan"]);
    expect(jobs.heldCommandIds()).toEqual([second.id]);
    expect(jobs.holds(first.id)).toBe(false);
    runner.finishNext();
    await Bun.sleep(0);
    runner.finishNext();
    await jobs.idle();
    expect(idleCalls).toBe(1);
    expect(jobs.heldCommandIds()).toEqual([]);
    expect(jobs.running()).toBeNull();
  });

  test("a failing job does not stop the ones after it", async () => {
    const ran: string[] = [];
    const jobs = new JobQueue(async (job) => {
      ran.push(job.kind);
      if (job.kind === "scan") throw new Error("boom");
    });
    jobs.add({ kind: "scan" });
    jobs.add({ kind: "command", command: command() });
    await jobs.idle();
    expect(ran).toEqual(["scan", "command"]);
  });

  test("waiting jobs can be taken back before they start; the running one stays", async () => {
    const runner = controlledRunner();
    const jobs = new JobQueue(runner.run);
    const running = command();
    const waiting = command();
    jobs.add({ kind: "command", command: running });
    jobs.add({ kind: "command", command: waiting });
    await Bun.sleep(0);
    expect(jobs.takeWaiting()).toEqual([{ kind: "command", command: waiting }]);
    expect(jobs.heldCommandIds()).toEqual([running.id]);
    runner.finishNext();
    await jobs.idle();
    expect(runner.started).toHaveLength(1);
  });
});
