import type { ScheduledJob } from "../../scheduler/scheduler.ts";

/** The scheduler's jobs that open maintenance windows, queue their work, catch up hosts that were away. */
export const maintenanceWindowJobs: ScheduledJob[] = [];
