import type { ScheduledJob } from "../../scheduler/scheduler.ts";

/** The scheduler's jobs that approve updates by policy, keep holds, advance staged rollouts. */
export const policyJobs: ScheduledJob[] = [];
