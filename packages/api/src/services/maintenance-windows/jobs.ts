import { every, type ScheduledJob } from "../../scheduler/scheduler.ts";
import { runMaintenanceWindows } from "./run-windows.ts";

export const maintenanceWindowsJobName = "maintenance-windows";

/** The scheduler's jobs that open maintenance windows, queue their work, catch up hosts that were away. */
export const maintenanceWindowJobs: ScheduledJob[] = [
  {
    name: maintenanceWindowsJobName,
    nextRunAfter: every(30),
    run: ({ db, now }) => runMaintenanceWindows(db, { now }),
  },
];
