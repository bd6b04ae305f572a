import { dashboardOverviewInput, dashboardOverviewOutput, serverActivityOutput } from "@redflag/contracts";
import { getOverview } from "../services/dashboard/get-overview.ts";
import { getServerActivity } from "../services/dashboard/get-server-activity.ts";
import { adminProcedure } from "../trpc.ts";

/** Read-only summaries the dashboard's overview and server health pages show. */
export const dashboardRouter = {
  overview: adminProcedure("viewer")
    .input(dashboardOverviewInput)
    .output(dashboardOverviewOutput)
    .query(({ ctx, input }) => getOverview(ctx.db, input)),
  activity: adminProcedure("viewer")
    .output(serverActivityOutput)
    .query(({ ctx }) => getServerActivity(ctx.db)),
};
