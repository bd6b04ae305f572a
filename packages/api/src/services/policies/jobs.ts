import { every, type ScheduledJob } from "../../scheduler/scheduler.ts";
import { runPolicies } from "./run-policies.ts";

/** Name of the job that applies hold policies, approves by policy and moves staged rollouts on. */
export const policiesJobName = "policies";

/** The scheduler's jobs that approve updates by policy, keep holds, advance staged rollouts. */
export const policyJobs: ScheduledJob[] = [
  {
    name: policiesJobName,
    nextRunAfter: every(60),
    run: async ({ db, now }) => {
      await runPolicies(db, { now });
    },
  },
];
