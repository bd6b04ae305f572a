import type { ScheduledJob } from "../../scheduler/scheduler.ts";
import { rebuildReportRollups } from "./rebuild-report-rollups.ts";

export const reportRollupsJobName = "report-rollups";
const dayMs = 86_400_000;

/** Once a day, at 03:00 UTC, the report rollups are recomputed from scratch: a repair, not a need. */
export const reportJobs: ScheduledJob[] = [
  {
    name: reportRollupsJobName,
    nextRunAfter: (now) => {
      const next = new Date(Math.floor(now.getTime() / dayMs) * dayMs + 3 * 3_600_000);
      return next > now ? next : new Date(next.getTime() + dayMs);
    },
    run: async ({ db }) => {
      await rebuildReportRollups(db);
    },
  },
];
