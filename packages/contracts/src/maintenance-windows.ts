import { z } from "zod";
import { rebootPolicySchema, windowRunStatusSchema } from "./automation.ts";
import { idSchema } from "./ids.ts";
import { int32, nameText } from "./primitives.ts";

/** The longest a maintenance window may stay open: a week. */
export const maxWindowDurationMinutes = 7 * 24 * 60;

/**
 * A five-field cron expression (minute hour day-of-month month day-of-week). Its values are checked
 * by the server's cron parser; here only its shape, so a six-field (seconds) or `@daily` form is
 * refused rather than read differently than the admin meant.
 */
export const windowScheduleSchema = z
  .string()
  .trim()
  .max(200)
  .refine((value) => value.split(/\s+/).filter(Boolean).length === 5, {
    message: "must have five fields: minute hour day-of-month month day-of-week (e.g. 0 3 * * 0)",
  });

/** Whether the runtime knows this IANA time zone name. */
function knowsTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const windowTimeZoneSchema = z
  .string()
  .trim()
  .min(1, { message: "must not be empty" })
  .max(64)
  .refine(knowsTimeZone, { message: "must be an IANA time zone such as Europe/Berlin or UTC" });

export const windowTagSchema = nameText(64)
  .min(1)
  .regex(/^[a-zA-Z0-9._:-]+$/, { message: "may contain only letters, digits and . _ : -" });

export const windowFields = {
  name: nameText(100, { trim: true }).min(1, { message: "must not be empty" }),
  enabled: z.boolean().default(true),
  schedule: windowScheduleSchema,
  timeZone: windowTimeZoneSchema,
  durationMinutes: int32().min(5).max(maxWindowDurationMinutes),
  tags: z.array(windowTagSchema).max(50).default([]),
  agentIds: z.array(idSchema("agent")).max(1000).default([]),
  installApproved: z.boolean().default(true),
  scan: z.boolean().default(false),
  reboot: rebootPolicySchema.default("if_required"),
  maxConcurrentReboots: int32().min(1).max(10_000).default(1),
  catchUpGraceMinutes: int32()
    .min(0)
    .max(7 * 24 * 60)
    .default(0),
  /** Approved apt, dnf and Docker updates of the window's hosts are downloaded this long before each opening; 0: off. */
  preDownloadMinutes: int32()
    .min(0)
    .max(24 * 60)
    .default(60),
};

export const windowDraftSchema = z.object(windowFields);
export type WindowDraft = z.infer<typeof windowDraftSchema>;

export const createWindowInput = windowDraftSchema;
export const updateWindowInput = windowDraftSchema.extend({ windowId: idSchema("maintenanceWindow") });
export const windowIdInput = z.object({ windowId: idSchema("maintenanceWindow") });
export const setWindowEnabledInput = z.object({
  windowId: idSchema("maintenanceWindow"),
  enabled: z.boolean(),
});

export const previewScheduleInput = z.object({
  schedule: windowScheduleSchema,
  timeZone: windowTimeZoneSchema,
  durationMinutes: int32().min(5).max(maxWindowDurationMinutes),
  count: z.number().int().min(1).max(10).default(3),
});

export const windowOpeningSchema = z.object({
  opensAt: z.date(),
  closesAt: z.date(),
  /** The opening in the window's own zone, e.g. "Sun 2026-03-29 03:00 CEST". */
  local: z.string(),
});
export type WindowOpening = z.infer<typeof windowOpeningSchema>;

export const previewScheduleOutput = z.object({
  openings: z.array(windowOpeningSchema),
  /** The schedule in words, when it is a common shape ("every day at 03:00"). */
  description: z.string().nullable(),
});

/** One occurrence of a window: how its hosts fared. */
export const occurrenceSummarySchema = z.object({
  windowId: idSchema("maintenanceWindow"),
  opensAt: z.date(),
  closesAt: z.date(),
  hosts: z.number().int(),
  done: z.number().int(),
  missed: z.number().int(),
  caughtUp: z.number().int(),
  failed: z.number().int(),
  active: z.number().int(),
  rebooted: z.number().int(),
});
export type OccurrenceSummary = z.infer<typeof occurrenceSummarySchema>;

export const windowSchema = z.object({
  id: idSchema("maintenanceWindow"),
  ...windowDraftSchema.shape,
  enabled: z.boolean(),
  tags: z.array(z.string()),
  agentIds: z.array(idSchema("agent")),
  installApproved: z.boolean(),
  scan: z.boolean(),
  reboot: rebootPolicySchema,
  maxConcurrentReboots: z.number().int(),
  catchUpGraceMinutes: z.number().int(),
  preDownloadMinutes: z.number().int(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type MaintenanceWindow = z.infer<typeof windowSchema>;

export const windowListItemSchema = windowSchema.extend({
  nextOpening: windowOpeningSchema.nullable(),
  description: z.string().nullable(),
  lastOccurrence: occurrenceSummarySchema.nullable(),
});
export const listWindowsOutput = z.object({ items: z.array(windowListItemSchema) });

export const listWindowOccurrencesInput = z.object({
  windowId: idSchema("maintenanceWindow").optional(),
  limit: z.number().int().min(1).max(100).default(20),
});
export const listWindowOccurrencesOutput = z.object({
  items: z.array(occurrenceSummarySchema.extend({ windowName: z.string() })),
});

export const windowRunSchema = z.object({
  id: idSchema("windowRun"),
  windowId: idSchema("maintenanceWindow"),
  windowName: z.string(),
  agentId: idSchema("agent"),
  opensAt: z.date(),
  closesAt: z.date(),
  status: windowRunStatusSchema,
  caughtUpAt: z.date().nullable(),
  scanCommandId: idSchema("command").nullable(),
  installCommandId: idSchema("command").nullable(),
  rebootCommandId: idSchema("command").nullable(),
  detail: z.string().nullable(),
});

export const agentWindowsInput = z.object({ agentId: idSchema("agent") });
export const agentWindowsOutput = z.object({
  windows: z.array(
    z.object({
      id: idSchema("maintenanceWindow"),
      name: z.string(),
      enabled: z.boolean(),
      timeZone: z.string(),
      durationMinutes: z.number().int(),
      nextOpening: windowOpeningSchema.nullable(),
      /** What the window will do on this host, in words ("installs 4 approved updates, reboots if required"). */
      plan: z.string(),
    }),
  ),
  approvedUpdates: z.number().int(),
  runs: z.array(windowRunSchema),
});
