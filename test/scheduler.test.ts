import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { defaultRateLimits, every, type ScheduledJob, Scheduler } from "@redflag/api";
import { createDatabase, type DatabaseHandle, schedulerJobs } from "@redflag/db";
import { eq } from "drizzle-orm";
import { createTestDatabase, migrationsFolder, type TestDatabase } from "./harness/database.ts";

const config = {
  version: "0.0.0-test",
  secret: "test-secret-that-is-long-enough-0123456789",
  debug: false,
  maxBodyBytes: 1024,
  migrationsFolder,
  rateLimits: defaultRateLimits,
  trustProxy: false,
};

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
}, 60_000);
afterAll(async () => {
  await database.cleanup();
});

/** A clock a test moves by hand. */
function manualClock(start: string) {
  let now = new Date(start);
  return {
    now: () => now,
    advance(seconds: number) {
      now = new Date(now.getTime() + seconds * 1000);
    },
  };
}

/** A job counting its runs, with a unique name so tests sharing the database do not meet. */
function countingJob(name: string, intervalSeconds: number, work?: () => Promise<void>) {
  const runs: Date[] = [];
  const job: ScheduledJob = {
    name: `${name}-${crypto.randomUUID().slice(0, 8)}`,
    nextRunAfter: every(intervalSeconds),
    async run({ now }) {
      runs.push(now);
      await work?.();
    },
  };
  return { job, runs };
}

async function jobRow(name: string) {
  const [row] = await database.handle.db.select().from(schedulerJobs).where(eq(schedulerJobs.name, name));
  if (!row) throw new Error(`no row for ${name}`);
  return row;
}

describe("the scheduler", () => {
  test("runs a job when it is due, then again one interval later, never early", async () => {
    const clock = manualClock("2026-03-01T10:00:00Z");
    const { job, runs } = countingJob("interval", 60);
    const scheduler = new Scheduler({ db: database.handle.db, config, jobs: [job], clock: clock.now });
    expect(await scheduler.tick()).toEqual([job.name]);
    expect(await scheduler.tick()).toEqual([]);
    clock.advance(59);
    expect(await scheduler.tick()).toEqual([]);
    clock.advance(1);
    expect(await scheduler.tick()).toEqual([job.name]);
    expect(runs.map((run) => run.toISOString())).toEqual([
      "2026-03-01T10:00:00.000Z",
      "2026-03-01T10:01:00.000Z",
    ]);
    const row = await jobRow(job.name);
    expect(row.runs).toBe(2);
    expect(row.lockedBy).toBeNull();
    expect(row.nextRunAt.toISOString()).toBe("2026-03-01T10:02:00.000Z");
  });

  test("keeps its next run across a restart: a new scheduler neither repeats nor skips it", async () => {
    const clock = manualClock("2026-03-01T10:00:00Z");
    const { job, runs } = countingJob("restart", 3600);
    await new Scheduler({ db: database.handle.db, config, jobs: [job], clock: clock.now }).tick();
    clock.advance(600);
    const restarted = new Scheduler({ db: database.handle.db, config, jobs: [job], clock: clock.now });
    expect(await restarted.tick()).toEqual([]);
    clock.advance(3000);
    expect(await restarted.tick()).toEqual([job.name]);
    expect(runs).toHaveLength(2);
  });

  test("a job that throws keeps its error in its row and runs again at its next time", async () => {
    const clock = manualClock("2026-03-01T10:00:00Z");
    let fail = true;
    const { job, runs } = countingJob("failing", 30, async () => {
      if (fail) throw new Error("the target answered 500", { cause: new Error("connection reset") });
    });
    const errors: string[] = [];
    const scheduler = new Scheduler({
      db: database.handle.db,
      config,
      jobs: [job],
      clock: clock.now,
      onError: (name) => errors.push(name),
    });
    await scheduler.tick();
    expect(errors).toEqual([job.name]);
    expect((await jobRow(job.name)).lastError).toBe("the target answered 500: connection reset");
    fail = false;
    clock.advance(30);
    await scheduler.tick();
    expect(runs).toHaveLength(2);
    expect((await jobRow(job.name)).lastError).toBeNull();
  });

  test("a job held by a crashed instance is taken over once its lease runs out", async () => {
    const clock = manualClock("2026-03-01T10:00:00Z");
    const { job, runs } = countingJob("crashed", 60);
    const scheduler = new Scheduler({
      db: database.handle.db,
      config,
      jobs: [job],
      clock: clock.now,
      leaseSeconds: 120,
    });
    await scheduler.requestRun(job.name);
    // Another instance claimed it and died mid-run.
    await database.handle.db
      .update(schedulerJobs)
      .set({ lockedBy: "crashed-instance", lockedUntil: new Date(clock.now().getTime() + 120_000) })
      .where(eq(schedulerJobs.name, job.name));
    expect(await scheduler.tick()).toEqual([]);
    clock.advance(121);
    expect(await scheduler.tick()).toEqual([job.name]);
    expect(runs).toHaveLength(1);
  });

  test("requestRun makes a job due now", async () => {
    const clock = manualClock("2026-03-01T10:00:00Z");
    const { job, runs } = countingJob("requested", 86_400);
    const scheduler = new Scheduler({ db: database.handle.db, config, jobs: [job], clock: clock.now });
    await scheduler.tick();
    clock.advance(5);
    await scheduler.requestRun(job.name);
    expect(await scheduler.tick()).toEqual([job.name]);
    expect(runs).toHaveLength(2);
  });

  test("schedulers of several instances on one database run each due job once", async () => {
    // On PostgreSQL every instance has a pool of its own, as separate server processes would.
    const handles: DatabaseHandle[] = database.url
      ? await Promise.all(
          [0, 1, 2].map(() =>
            createDatabase({ driver: "postgres", url: database.url ?? "", maxConnections: 4 }),
          ),
        )
      : [database.handle, database.handle, database.handle];
    try {
      const clock = manualClock("2026-03-01T10:00:00Z");
      let running = 0;
      let mostAtOnce = 0;
      const { job, runs } = countingJob("shared", 60, async () => {
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        await Bun.sleep(50);
        running--;
      });
      const schedulers = handles.map(
        (handle, index) =>
          new Scheduler({
            db: handle.db,
            config,
            jobs: [job],
            clock: clock.now,
            instanceId: `instance-${index}`,
          }),
      );
      for (let round = 0; round < 5; round++) {
        const ran = await Promise.all(schedulers.map((scheduler) => scheduler.tick()));
        expect(ran.flat()).toEqual([job.name]);
        clock.advance(60);
      }
      expect(runs).toHaveLength(5);
      expect(mostAtOnce).toBe(1);
    } finally {
      if (database.url) await Promise.all(handles.map((handle) => handle.close()));
    }
  });
});
