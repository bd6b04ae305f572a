import type { ScheduledJob } from "../../scheduler/scheduler.ts";

/** The scheduler's jobs that deliver notifications with retries, watch agents go offline and come back, the daily digest. */
export const notificationJobs: ScheduledJob[] = [];
