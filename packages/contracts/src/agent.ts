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
import { rebootReasonsSchema } from "./lifecycle.ts";
import { packageMetadataSchemas } from "./package-metadata.ts";
import {
  boundedText,
  exitCode,
  jsonRecord,
  nameText,
  outputText,
  safeInteger,
  timestamp,
  tokenText,
} from "./primitives.ts";
import { commandSignatureSchema, keyStatementSchema, publicSigningKeySchema } from "./signed.ts";
import { virtualizationSchema } from "./virtualization.ts";

/** Checked where the server sends it, not where it was received: lenient, so older rows still answer. */
const shortText = boundedText(256);
/** Package names, versions, sources and targets: shown beside each other, so names (primitives.ts). */
const packageText = nameText(256);

export const agentTokenSchema = tokenText(20, 512);

export const hostFactsSchema = z.object({
  hostname: nameText(253).min(1),
  osType: osTypeSchema,
  osName: nameText(256),
  osVersion: nameText(256),
  architecture: nameText(32).min(1),
  agentVersion: nameText(64).min(1),
  machineId: nameText(128).min(1),
});
export type HostFacts = z.infer<typeof hostFactsSchema>;

export const registerInput = z.object({
  registrationToken: tokenText(10, 200),
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
  /** The server's signing keys (active, and next or previous during a rotation), checked against the pinned fingerprint. */
  signingKeys: z.array(publicSigningKeySchema).min(1),
  /** How the keys relate during a rotation (see checkInOutput). */
  keyStatements: z.array(keyStatementSchema).optional(),
});

export const renewInput = z.object({
  agentId: idSchema("agent"),
  refreshToken: agentTokenSchema,
});
export const renewOutput = agentTokensSchema;

export const metricsSchema = z.object({
  cpuPercent: z.number().min(0).max(100).optional(),
  memoryUsedBytes: safeInteger().nonnegative().optional(),
  memoryTotalBytes: safeInteger().nonnegative().optional(),
  diskUsedBytes: safeInteger().nonnegative().optional(),
  diskTotalBytes: safeInteger().nonnegative().optional(),
  uptimeSeconds: safeInteger().nonnegative().optional(),
  loadAverage: z.array(z.number().nonnegative()).max(3).optional(),
});
export type Metrics = z.infer<typeof metricsSchema>;

/** The longest any server holds a check-in open; under common proxies' idle timeouts with margin. */
export const maxLongPollSeconds = 120;

export const checkInInput = z.object({
  agentVersion: nameText(64).min(1),
  metrics: metricsSchema.default({}),
  rebootRequired: z.boolean().default(false),
  /**
   * Commands the agent holds (queued or running): their leases are extended at each check-in, so a
   * long install never runs out of lease while the agent still answers.
   */
  runningCommandIds: z.array(idSchema("command")).max(50).default([]),
  /** Why a reboot is required (packages, Windows' flag); older agents send none. */
  rebootReasons: rebootReasonsSchema.default([]),
  /**
   * Long poll: the server may hold this check-in open for up to this many seconds and answers as soon
   * as a command for the agent is queued (capped by the server's own limit, checkInOutput.longPollSeconds).
   * Absent or 0: a plain check-in, answered at once. Every request still starts at the agent.
   */
  waitSeconds: z.number().int().min(0).max(maxLongPollSeconds).default(0),
});

/** One update a command acts on, as the agent needs it to act. */
export const commandTargetSchema = z.object({
  updateId: idSchema("update"),
  packageType: packageTypeSchema,
  packageName: shortText.min(1),
  target: shortText,
  currentVersion: shortText.nullable(),
  availableVersion: shortText,
});
export type CommandTarget = z.infer<typeof commandTargetSchema>;

/**
 * A command as handed to its agent, signed afresh at each lease over id, agent id, type, targets,
 * parameters, issuedAt, expiresAt and nonce (signing.ts has the exact bytes). The agent refuses it
 * unless the signature verifies against a key it trusts.
 */
export const leasedCommandSchema = z.object({
  id: idSchema("command"),
  agentId: idSchema("agent"),
  type: commandTypeSchema,
  attempt: z.number().int().positive(),
  leaseExpiresAt: z.date(),
  targets: z.array(commandTargetSchema),
  parameters: z.record(z.string(), z.unknown()),
  ...commandSignatureSchema.shape,
  /**
   * During a key rotation: the statements (checkInOutput.keyStatements) that lead from the keys the
   * agent may trust to the signing key, so a command signed by a new key carries the proof of it.
   */
  keyStatements: z.array(keyStatementSchema).optional(),
});
export type LeasedCommand = z.infer<typeof leasedCommandSchema>;

export const checkInOutput = z.object({
  commands: z.array(leasedCommandSchema),
  pollIntervalSeconds: z.number().int().positive(),
  rapidModeUntil: z.date().nullable(),
  serverTime: z.date(),
  /**
   * During a key rotation (and 30 days after): the new key announced by the old one, the old key's
   * retirement signed by the new one. Absent otherwise, so a check-in stays small.
   */
  keyStatements: z.array(keyStatementSchema).optional(),
  /**
   * The longest this server holds a long-poll check-in open (REDFLAG_LONG_POLL_SECONDS); absent from
   * servers without long polls, 0 when turned off. An agent long-polls only when this is positive.
   */
  longPollSeconds: z.number().int().min(0).max(maxLongPollSeconds).optional(),
  /**
   * The server's debug mode is on: the agent logs at debug until a check-in says false again. Absent
   * from older servers (and read as false); older agents ignore it.
   */
  debugLogging: z.boolean().optional(),
});

/**
 * Most items one scanner may report (and one command result may list). A host rarely has more than a
 * few hundred updates pending, and a distribution upgrade a few thousand; 5,000 keeps one report's
 * reconciliation well under a second on the embedded database, which serves every caller in turn.
 * An agent with more sends the most urgent ones first and trims the rest.
 */
export const maxItemsPerScanner = 5_000;

export const scanItemSchema = z.object({
  packageName: packageText.min(1),
  target: packageText.default(""),
  currentVersion: packageText.nullable(),
  availableVersion: packageText.min(1),
  severity: severitySchema.default("unknown"),
  security: z.boolean().default(false),
  cves: z
    .array(z.string().regex(/^CVE-\d{4}-\d{4,}$/, { message: "must be a CVE id like CVE-2024-1234" }))
    .max(1000)
    .default([]),
  source: packageText.nullable().default(null),
  sizeBytes: safeInteger().nonnegative().nullable().default(null),
  metadata: jsonRecord(16 * 1024).default({}),
  /**
   * The host itself holds the package back (`apt-mark hold`, `dnf versionlock`): the update is pending,
   * but the package manager will not install it until the host lets go. Older agents omit it (false).
   */
  held: z.boolean().optional(),
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
  startedAt: timestamp(),
  finishedAt: timestamp(),
  /** Chosen by the agent once per report: a report delivered twice (an answer lost) is recorded once. */
  reportId: z.uuid().optional(),
  /** A Proxmox VE node's inventory, or where this agent runs as a guest; older agents send none. */
  virtualization: virtualizationSchema.optional(),
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
  installedVersion: packageText.nullable().default(null),
  message: boundedText(2000).default(""),
  /**
   * After an install: whether the version it replaced can still be installed again (a repository or
   * the local cache still has it), so a rollback can work. Absent: the installer cannot tell, and the
   * dashboard offers no rollback.
   */
  rollbackAvailable: z.boolean().optional(),
});
export type ItemOutcome = z.infer<typeof itemOutcomeSchema>;

export const reportResultInput = z.object({
  commandId: idSchema("command"),
  status: z.enum(["succeeded", "failed"]),
  exitCode: exitCode().nullable(),
  output: outputText(maxOutputLength),
  startedAt: timestamp(),
  finishedAt: timestamp(),
  items: z.array(itemOutcomeSchema).max(maxItemsPerScanner).default([]),
  result: jsonRecord(64 * 1024).default({}),
});
export type ReportResultInput = z.infer<typeof reportResultInput>;
export const reportResultOutput = z.object({
  accepted: z.boolean(),
  duplicate: z.boolean(),
  commandStatus: commandStatusSchema,
});
