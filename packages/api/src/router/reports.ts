import {
  hostReportInput,
  hostReportOutput,
  reportExportQuery,
  reportInput,
  reportSummaryOutput,
} from "@redflag/contracts";
import { z } from "zod";
import { exportReport } from "../services/reports/export-report.ts";
import { getHostReports } from "../services/reports/get-host-reports.ts";
import { getReportSummary } from "../services/reports/get-report-summary.ts";
import { adminProcedure } from "../trpc.ts";

/** Update reports: the fleet and each tag, each host; as files to download (the export route). */
export const reportsRouter = {
  summary: adminProcedure("viewer")
    .input(reportInput)
    .output(reportSummaryOutput)
    .query(({ ctx, input }) => getReportSummary(ctx.db, input)),
  hosts: adminProcedure("viewer")
    .input(hostReportInput)
    .output(hostReportOutput)
    .query(({ ctx, input }) => getHostReports(ctx.db, input)),
  export: adminProcedure("viewer")
    .input(reportExportQuery)
    .output(z.object({ body: z.string(), contentType: z.string(), filename: z.string() }))
    .query(({ ctx, input }) => exportReport(ctx.db, input)),
};
