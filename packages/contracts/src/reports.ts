import { z } from "zod";
import { idSchema } from "./ids.ts";
import { int32 } from "./primitives.ts";

/** A security update waiting longer than this many days puts its host out of compliance. */
export const defaultComplianceDays = 14;
/** The windows install success rates are reported over, in days (UTC days, today included). */
export const successRateWindows = [7, 30, 90] as const;

const complianceDaysNumber = int32().min(1).max(365);
const complianceDays = complianceDaysNumber.default(defaultComplianceDays);

export const reportInput = z.object({ complianceDays });
export const hostReportInput = z.object({
  complianceDays,
  /** Only hosts carrying this tag. */
  tag: z.string().trim().min(1).max(100).optional(),
  /** Only hosts out of compliance. */
  outOfCompliance: z.boolean().default(false),
  page: int32().min(1).max(100_000).default(1),
});

export const reportFormats = ["csv", "json"] as const;
export const reportKinds = ["hosts", "tags"] as const;
/** The export route's query string: which report, which format, and the compliance threshold. */
export const reportExportQuery = z.object({
  report: z.enum(reportKinds).default("hosts"),
  format: z.enum(reportFormats).default("csv"),
  complianceDays: z.coerce.number().pipe(complianceDaysNumber).default(defaultComplianceDays),
});

const count = z.number().int();
/** Updates waiting (available or approved), by severity; `security` counts those marked security. */
export const pendingBySeveritySchema = z.object({
  critical: count,
  important: count,
  moderate: count,
  low: count,
  unknown: count,
  total: count,
  security: count,
});
/** Finished install commands in a window; `failed` includes the timed out. `rate` is null when none. */
export const successRateSchema = z.object({ succeeded: count, failed: count, rate: z.number().nullable() });
export const successRatesSchema = z.object({
  days7: successRateSchema,
  days30: successRateSchema,
  days90: successRateSchema,
});
const patchingSchema = {
  pending: pendingBySeveritySchema,
  /** Updates installed through RedFlag that are still on record. */
  patched: count,
  /** Mean of first seen → installed over those, in seconds; null when none. */
  meanTimeToPatchSeconds: z.number().nullable(),
  installs: successRatesSchema,
};

export const hostReportRowSchema = z.object({
  agentId: idSchema("agent"),
  hostname: z.string(),
  tags: z.array(z.string()),
  ...patchingSchema,
  /** When the oldest security update still waiting was first seen. */
  oldestSecurityPendingSince: z.date().nullable(),
  outOfCompliance: z.boolean(),
});
export const groupReportSchema = z.object({
  hosts: count,
  hostsOutOfCompliance: count,
  ...patchingSchema,
});
/** One tag's hosts together; `tag` null gathers the hosts without a tag. A host is in each of its tags. */
export const tagReportRowSchema = groupReportSchema.extend({ tag: z.string().nullable() });

export const reportSummaryOutput = z.object({
  complianceDays: count,
  generatedAt: z.date(),
  fleet: groupReportSchema,
  tags: z.array(tagReportRowSchema),
});
export const hostReportPageSize = 50;
export const hostReportOutput = z.object({
  items: z.array(hostReportRowSchema),
  total: count,
  page: count,
  pageSize: count,
});

export type ReportInput = z.infer<typeof reportInput>;
export type HostReportInput = z.infer<typeof hostReportInput>;
export type HostReportRow = z.infer<typeof hostReportRowSchema>;
export type GroupReport = z.infer<typeof groupReportSchema>;
export type TagReportRow = z.infer<typeof tagReportRowSchema>;
export type ReportSummary = z.infer<typeof reportSummaryOutput>;
