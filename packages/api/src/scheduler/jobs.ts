import { maintenanceWindowJobs } from "../services/maintenance-windows/jobs.ts";
import { notificationJobs } from "../services/notifications/jobs.ts";
import { policyJobs } from "../services/policies/jobs.ts";
import { reportJobs } from "../services/reports/jobs.ts";
import type { ScheduledJob } from "./scheduler.ts";

/** Every job of the server's one scheduler. */
export const scheduledJobs: ScheduledJob[] = [
  ...policyJobs,
  ...maintenanceWindowJobs,
  ...notificationJobs,
  ...reportJobs,
];
