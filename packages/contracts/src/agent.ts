import { z } from "zod";
import {
  agentErrorKindSchema,
  commandStatusSchema,
  commandTypeSchema,
  osTypeSchema,
  packageTypeSchema,
  severitySchema,
} from "./enums.ts";
import { idSchema } from "./ids.ts";
import { packageMetadataSchemas } from "./package-metadata.ts";

/** Printable text of bounded length: what every free-form field from an agent must be. */
export function boundedText(max: number) {
  return z
    .string()
    .max(max)
    .refine(hasNoControlCharacters, { message: "must not contain control characters" });
}

/** Tabs and line breaks are text; every other C0 control character and DEL is not. */
function isControlCharacter(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f;
}

function hasNoControlCharacters(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    if (isControlCharacter(text.charCodeAt(index))) return false;
  }
  return true;
}

/**
 * Text from a tool, made fit for `boundedText`: control characters dropped (line breaks too, unless
 * `keepLineBreaks`), cut to `max` characters.
 */
export function toPrintableText(
  text: string,
  max: number,
  options: { keepLineBreaks?: boolean } = {},
): string {
  let printable = "";
  for (const character of text) {
    const code = character.charCodeAt(0);
    if (isControlCharacter(code)) continue;
    if (!options.keepLineBreaks && (code === 0x0a || code === 0x0d)) continue;
    printable += character;
  }
  return printable.slice(0, max);
}

const shortText = boundedText(256);

/** Free-form JSON from an agent: bounded, and free of NUL, which Postgres cannot store. */
export function jsonRecord(maxBytes: number) {
  return z
    .record(z.string(), z.unknown())
    .refine((value) => JSON.stringify(value).length <= maxBytes, {
      message: `must be at most ${maxBytes} bytes of JSON`,
    })
    .refine((value) => !JSON.stringify(value).includes("\\u0000"), {
      message: "must not contain NUL characters",
    });
}
const versionText = boundedText(256);

export const agentTokenSchema = z.string().min(20).max(512);

export const hostFactsSchema = z.object({
  hostname: boundedText(253).min(1),
  osType: osTypeSchema,
  osName: shortText,
  osVersion: shortText,
  architecture: boundedText(32).min(1),
  agentVersion: boundedText(64).min(1),
  machineId: boundedText(128).min(1),
});
export type HostFacts = z.infer<typeof hostFactsSchema>;

export const registerInput = z.object({
  registrationToken: z.string().min(10).max(200),
  host: hostFactsSchema,
});
export const agentTokensSchema = z.object({
  accessToken: agentTokenSchema,
  accessTokenExpiresAt: z.date(),
  refreshToken: agentTokenSchema,
  refreshTokenExpiresAt: z.date(),
});
export type AgentTokens = z.infer<typeof agentTokensSchema>;
export const registerOutput = agentTokensSchema.extend({
  agentId: idSchema("agent"),
  pollIntervalSeconds: z.number().int().positive(),
});

export const renewInput = z.object({
  agentId: idSchema("agent"),
  refreshToken: agentTokenSchema,
});
export const renewOutput = agentTokensSchema;

export const metricsSchema = z.object({
  cpuPercent: z.number().min(0).max(100).optional(),
  memoryUsedBytes: z.number().int().nonnegative().optional(),
  memoryTotalBytes: z.number().int().nonnegative().optional(),
  diskUsedBytes: z.number().int().nonnegative().optional(),
  diskTotalBytes: z.number().int().nonnegative().optional(),
  uptimeSeconds: z.number().int().nonnegative().optional(),
  loadAverage: z.array(z.number().nonnegative()).max(3).optional(),
});
export type Metrics = z.infer<typeof metricsSchema>;

export const checkInInput = z.object({
  agentVersion: boundedText(64).min(1),
  metrics: metricsSchema.default({}),
  rebootRequired: z.boolean().default(false),
});

/** One update a command acts on, as the agent needs it to act. */
export const commandTargetSchema = z.object({
  updateId: idSchema("update"),
  packageType: packageTypeSchema,
  packageName: shortText.min(1),
  target: shortText,
  currentVersion: versionText.nullable(),
  availableVersion: versionText,
});
export type CommandTarget = z.infer<typeof commandTargetSchema>;

export const leasedCommandSchema = z.object({
  id: idSchema("command"),
  type: commandTypeSchema,
  attempt: z.number().int().positive(),
  leaseExpiresAt: z.date(),
  targets: z.array(commandTargetSchema),
  parameters: z.record(z.string(), z.unknown()),
});
export type LeasedCommand = z.infer<typeof leasedCommandSchema>;

export const checkInOutput = z.object({
  commands: z.array(leasedCommandSchema),
  pollIntervalSeconds: z.number().int().positive(),
  rapidModeUntil: z.date().nullable(),
  serverTime: z.date(),
});

/**
 * Most items one scanner may report (and one command result may list). A host rarely has more than a
 * few hundred updates pending, and a distribution upgrade a few thousand; 5,000 keeps one report's
 * reconciliation well under a second on the embedded database, which serves every caller in turn.
 * An agent with more sends the most urgent ones first and trims the rest.
 */
export const maxItemsPerScanner = 5_000;

export const scanItemSchema = z.object({
  packageName: shortText.min(1),
  target: shortText.default(""),
  currentVersion: versionText.nullable(),
  availableVersion: versionText.min(1),
  severity: severitySchema.default("unknown"),
  security: z.boolean().default(false),
  cves: z
    .array(z.string().regex(/^CVE-\d{4}-\d{4,}$/, { message: "must be a CVE id like CVE-2024-1234" }))
    .max(1000)
    .default([]),
  source: shortText.nullable().default(null),
  sizeBytes: z.number().int().nonnegative().nullable().default(null),
  metadata: jsonRecord(16 * 1024).default({}),
});
export type ScanItem = z.infer<typeof scanItemSchema>;

export const scannerReportSchema = z.discriminatedUnion("status", [
  z
    .object({
      packageType: packageTypeSchema,
      status: z.literal("ok"),
      items: z.array(scanItemSchema).max(maxItemsPerScanner),
    })
    .superRefine((report, context) => {
      // Each item's metadata must have its package type's shape (package-metadata.ts).
      const schema = packageMetadataSchemas[report.packageType];
      report.items.forEach((item, index) => {
        const issue = schema.safeParse(item.metadata).error?.issues[0];
        if (issue) {
          context.addIssue({
            code: "custom",
            path: ["items", index, "metadata", ...issue.path.map(String)],
            message: `${issue.message} (${report.packageType} metadata)`,
          });
        }
      });
    }),
  z.object({
    packageType: packageTypeSchema,
    status: z.literal("error"),
    error: boundedText(4000).min(1),
    /** Why, in a word the server and dashboard can act on; older agents send none. */
    kind: agentErrorKindSchema.default("failed"),
    /** Whether the agent will try again on its own soon (a lock, a timeout, a registry that was down). */
    retryable: z.boolean().default(false),
  }),
]);
export type ScannerReport = z.infer<typeof scannerReportSchema>;

/** What the server keeps of each scanner's part of a report (and the dashboard shows). */
export const scannerSummarySchema = z.object({
  packageType: packageTypeSchema,
  status: z.enum(["ok", "error"]),
  error: z.string().nullable(),
  /** Set with `error`; rows recorded before kinds existed have none. */
  errorKind: agentErrorKindSchema.nullable().default(null),
  retryable: z.boolean().default(false),
  itemCount: z.number().int(),
});
export type ScannerSummary = z.infer<typeof scannerSummarySchema>;

export const reportScanInput = z.object({
  scanners: z
    .array(scannerReportSchema)
    .min(1)
    .max(10)
    .refine((list) => new Set(list.map((scanner) => scanner.packageType)).size === list.length, {
      message: "each package type may appear once per report",
    }),
  startedAt: z.date(),
  finishedAt: z.date(),
  /** Chosen by the agent once per report: a report delivered twice (an answer lost) is recorded once. */
  reportId: z.uuid().optional(),
});
export type ReportScanInput = z.infer<typeof reportScanInput>;
export const reportScanOutput = z.object({
  scanId: idSchema("scan"),
  duplicate: z.boolean(),
  opened: z.number().int(),
  changed: z.number().int(),
  closed: z.number().int(),
  unchanged: z.number().int(),
});

export const reportProgressInput = z.object({
  commandId: idSchema("command"),
  percent: z.number().min(0).max(100).nullable(),
  message: boundedText(1000).default(""),
});
export const reportProgressOutput = z.object({
  accepted: z.boolean(),
  leaseExpiresAt: z.date().nullable(),
  cancelled: z.boolean(),
});

export const maxOutputLength = 64 * 1024;

export const itemOutcomeSchema = z.object({
  updateId: idSchema("update"),
  status: z.enum(["installed", "failed", "skipped"]),
  installedVersion: versionText.nullable().default(null),
  message: boundedText(2000).default(""),
});
export type ItemOutcome = z.infer<typeof itemOutcomeSchema>;

export const reportResultInput = z.object({
  commandId: idSchema("command"),
  status: z.enum(["succeeded", "failed"]),
  exitCode: z.number().int().nullable(),
  output: z
    .string()
    .max(maxOutputLength)
    .refine((text) => !text.includes("\u0000"), { message: "must not contain NUL characters" }),
  startedAt: z.date(),
  finishedAt: z.date(),
  items: z.array(itemOutcomeSchema).max(maxItemsPerScanner).default([]),
  result: jsonRecord(64 * 1024).default({}),
});
export type ReportResultInput = z.infer<typeof reportResultInput>;
export const reportResultOutput = z.object({
  accepted: z.boolean(),
  duplicate: z.boolean(),
  commandStatus: commandStatusSchema,
});
