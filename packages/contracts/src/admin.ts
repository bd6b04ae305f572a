import { z } from "zod";
import { commandTargetSchema, itemOutcomeSchema, metricsSchema, scannerSummarySchema } from "./agent.ts";
import {
  commandStatusSchema,
  commandTypeSchema,
  osTypeSchema,
  packageTypeSchema,
  roleSchema,
  severitySchema,
  updateStatusSchema,
} from "./enums.ts";
import { idSchema } from "./ids.ts";
import { rebootParametersSchema } from "./lifecycle.ts";
import { int32, nameText, searchText } from "./primitives.ts";
import { defaultComplianceDays, groupReportSchema } from "./reports.ts";

/** Request and response schemas of the admin API, used by the server, the dashboard and scripts. */

export const pageInput = {
  page: int32().min(1).max(100_000).default(1),
  pageSize: int32().min(1).max(200).default(50),
};
export const sortDirectionSchema = z.enum(["asc", "desc"]);
export const updateIdsInput = z.object({ updateIds: z.array(idSchema("update")).min(1).max(1000) });
const tagSchema = nameText(64)
  .min(1)
  .regex(/^[a-zA-Z0-9._:-]+$/, { message: "may contain only letters, digits and . _ : -" });

export const listAgentsInput = z.object({
  search: searchText(200).optional(),
  presence: z.enum(["online", "offline"]).optional(),
  osType: osTypeSchema.optional(),
  tag: tagSchema.optional(),
  sort: z.enum(["hostname", "lastCheckInAt", "createdAt"]).default("hostname"),
  direction: sortDirectionSchema.default("asc"),
  ...pageInput,
});
export const agentSummarySchema = z.object({
  id: idSchema("agent"),
  hostname: z.string(),
  osType: osTypeSchema,
  osName: z.string(),
  osVersion: z.string(),
  architecture: z.string(),
  agentVersion: z.string(),
  tags: z.array(z.string()),
  lastCheckInAt: z.date().nullable(),
  lastScanAt: z.date().nullable(),
  rebootRequired: z.boolean(),
  online: z.boolean(),
  pendingUpdates: z.number().int(),
  securityUpdates: z.number().int(),
});
export const listAgentsOutput = z.object({ items: z.array(agentSummarySchema), total: z.number().int() });

export const scanSummarySchema = z.object({
  id: idSchema("scan"),
  agentId: idSchema("agent"),
  scanners: z.array(scannerSummarySchema),
  opened: z.number().int(),
  changed: z.number().int(),
  closed: z.number().int(),
  startedAt: z.date(),
  finishedAt: z.date(),
  receivedAt: z.date(),
});
/** The detail page counts updates per status (`updateCounts`) where the list shows two counts. */
export const agentDetailSchema = agentSummarySchema
  .omit({ pendingUpdates: true, securityUpdates: true })
  .extend({
    machineId: z.string(),
    registrationTokenId: idSchema("registrationToken").nullable(),
    pollIntervalSeconds: z.number().int().nullable(),
    effectivePollIntervalSeconds: z.number().int(),
    rapidModeUntil: z.date().nullable(),
    metrics: metricsSchema,
    createdAt: z.date(),
    updateCounts: z.record(z.string(), z.number().int()),
    latestScans: z.array(scanSummarySchema),
    /** Why the host wants a reboot, as its agent reported at check-in. */
    rebootReasons: z.array(z.string()),
    /** The agent version this server hands out for the host, when it has a build for it. */
    serverAgentVersion: z.string().nullable(),
  });
export const configureAgentInput = z.object({
  agentId: idSchema("agent"),
  pollIntervalSeconds: int32().min(5).max(86_400).nullable().optional(),
  rapidModeMinutes: int32().min(0).max(240).optional(),
  tags: z.array(tagSchema).max(50).optional(),
});
export const configureAgentOutput = z.object({
  id: idSchema("agent"),
  pollIntervalSeconds: z.number().int().nullable(),
  rapidModeUntil: z.date().nullable(),
  tags: z.array(z.string()),
});
export const requestAgentCommandInput = z.object({
  agentId: idSchema("agent"),
  type: z.enum(["scan", "reboot", "dry_run", "update_agent"]),
  updateIds: z.array(idSchema("update")).max(1000).optional(),
  /** For `reboot`: a delay and a message for logged-in users. */
  reboot: rebootParametersSchema.optional(),
});

export const listUpdatesInput = z.object({
  agentId: idSchema("agent").optional(),
  statuses: z.array(updateStatusSchema).max(7).optional(),
  severities: z.array(severitySchema).max(5).optional(),
  packageTypes: z.array(packageTypeSchema).max(5).optional(),
  security: z.boolean().optional(),
  /** Held on the host (apt-mark hold, dnf versionlock) or by a hold policy: true lists those, false the rest. */
  held: z.boolean().optional(),
  search: searchText(200).optional(),
  sort: z.enum(["packageName", "severity", "firstSeenAt", "hostname"]).default("packageName"),
  direction: sortDirectionSchema.default("asc"),
  ...pageInput,
});
export const updateSummarySchema = z.object({
  id: idSchema("update"),
  agentId: idSchema("agent"),
  hostname: z.string(),
  packageType: packageTypeSchema,
  packageName: z.string(),
  target: z.string(),
  currentVersion: z.string().nullable(),
  availableVersion: z.string(),
  installedVersion: z.string().nullable(),
  severity: severitySchema,
  security: z.boolean(),
  cves: z.array(z.string()),
  source: z.string().nullable(),
  sizeBytes: z.number().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  status: updateStatusSchema,
  lastCommandId: idSchema("command").nullable(),
  /** When a pre-download left this update's version in the host's package cache; null: not downloaded. */
  downloadedAt: z.date().nullable(),
  firstSeenAt: z.date(),
  statusChangedAt: z.date(),
  /** The host holds the package back (its agent reported `apt-mark hold` or `dnf versionlock`). */
  hostHeld: z.boolean(),
  /** The hold policy that matches this update, if any: it is not installed automatically. */
  heldByPolicy: z.object({ id: idSchema("policy"), name: z.string() }).nullable(),
});
export const listUpdatesOutput = z.object({ items: z.array(updateSummarySchema), total: z.number().int() });
export const changedCountOutput = z.object({ changed: z.number().int() });
export const installUpdatesOutput = z.object({ commandIds: z.array(idSchema("command")) });

export const listCommandsInput = z.object({
  agentId: idSchema("agent").optional(),
  statuses: z.array(commandStatusSchema).max(7).optional(),
  types: z.array(commandTypeSchema).max(7).optional(),
  ...pageInput,
});
export const commandSummarySchema = z.object({
  id: idSchema("command"),
  agentId: idSchema("agent"),
  hostname: z.string(),
  type: commandTypeSchema,
  status: commandStatusSchema,
  attempt: z.number().int(),
  maxAttempts: z.number().int(),
  targetCount: z.number().int(),
  progressPercent: z.number().nullable(),
  progressMessage: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  retryOf: idSchema("command").nullable(),
  createdAt: z.date(),
  sentAt: z.date().nullable(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
});
export const listCommandsOutput = z.object({ items: z.array(commandSummarySchema), total: z.number().int() });
export const commandRecordSchema = z.object({
  id: idSchema("command"),
  agentId: idSchema("agent"),
  type: commandTypeSchema,
  status: commandStatusSchema,
  targets: z.array(commandTargetSchema),
  parameters: z.record(z.string(), z.unknown()),
  attempt: z.number().int(),
  maxAttempts: z.number().int(),
  leaseExpiresAt: z.date().nullable(),
  retryOf: idSchema("command").nullable(),
  createdBy: idSchema("user").nullable(),
  progressPercent: z.number().nullable(),
  progressMessage: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  output: z.string().nullable(),
  itemOutcomes: z.array(itemOutcomeSchema).nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.date(),
  sentAt: z.date().nullable(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
});
export const commandDetailSchema = commandRecordSchema.extend({
  logs: z.array(
    z.object({
      id: idSchema("commandLog"),
      commandId: idSchema("command"),
      attempt: z.number().int(),
      kind: z.enum(["leased", "progress", "result", "lease_expired", "cancelled"]),
      percent: z.number().nullable(),
      message: z.string(),
      createdAt: z.date(),
    }),
  ),
});
export const commandIdInput = z.object({ commandId: idSchema("command") });
export const cancelCommandOutput = z.object({ id: idSchema("command"), status: commandStatusSchema });

export const createRegistrationTokenInput = z.object({
  label: nameText(100, { trim: true }).min(1),
  seats: int32().min(1).max(10_000).default(1),
  expiresInHours: int32()
    .min(1)
    .max(24 * 365)
    .default(24),
});
export const registrationTokenSchema = z.object({
  id: idSchema("registrationToken"),
  label: z.string(),
  displayPrefix: z.string(),
  seats: z.number().int(),
  seatsUsed: z.number().int(),
  expiresAt: z.date(),
  createdAt: z.date(),
});
export const createdRegistrationTokenSchema = registrationTokenSchema.extend({ token: z.string() });
export const listedRegistrationTokenSchema = registrationTokenSchema.extend({
  revokedAt: z.date().nullable(),
  usable: z.boolean(),
});
/** What revoking a token answers: the token's id, and when it was revoked. */
export function revokedOutput<Kind extends "registrationToken" | "apiToken">(kind: Kind) {
  return z.object({ id: idSchema(kind), revokedAt: z.date().nullable() });
}

export const createApiTokenInput = z.object({
  name: nameText(100, { trim: true }).min(1),
  role: roleSchema,
  expiresInDays: int32().min(1).max(3650).nullable().default(90),
});
export const apiTokenSchema = z.object({
  id: idSchema("apiToken"),
  name: z.string(),
  role: roleSchema,
  displayPrefix: z.string(),
  createdAt: z.date(),
  expiresAt: z.date().nullable(),
});
export const createdApiTokenSchema = apiTokenSchema.extend({ token: z.string() });
export const listedApiTokenSchema = apiTokenSchema.extend({
  owner: z.string(),
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
});

export const userSchema = z.object({
  id: idSchema("user"),
  username: z.string(),
  role: roleSchema,
  createdAt: z.date(),
  disabledAt: z.date().nullable(),
});

export const healthSchema = z.object({
  version: z.string(),
  uptimeSeconds: z.number().int(),
  database: z.object({
    driver: z.string(),
    reachable: z.boolean(),
    latencyMs: z.number().nullable(),
    error: z.string().nullable(),
  }),
  migrations: z
    .object({ applied: z.number().int(), available: z.number().int(), latestHash: z.string().nullable() })
    .nullable(),
  agents: z
    .object({ total: z.number().int(), online: z.number().int(), offline: z.number().int() })
    .nullable(),
  commandQueue: z.record(z.string(), z.number().int()).nullable(),
});

export const listAuditEventsInput = z.object({
  entityType: nameText(64).optional(),
  entityId: nameText(64).optional(),
  ...pageInput,
});
export const auditEventSchema = z.object({
  id: idSchema("auditEvent"),
  actorType: z.enum(["user", "api_token", "agent", "automation", "system"]),
  actorId: z.string().nullable(),
  action: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  createdAt: z.date(),
});

/** The overview page: fleet state, pending updates and install outcomes over the last `days`. */
export const dashboardOverviewInput = z.object({
  days: int32().min(1).max(90).default(14),
  complianceDays: int32().min(1).max(365).default(defaultComplianceDays),
});
const failedCommandSchema = z.object({
  id: idSchema("command"),
  agentId: idSchema("agent"),
  hostname: z.string(),
  type: commandTypeSchema,
  status: commandStatusSchema,
  exitCode: z.number().int().nullable(),
  message: z.string().nullable(),
  finishedAt: z.date().nullable(),
});
export const dashboardOverviewOutput = z.object({
  agents: z.object({
    total: z.number().int(),
    online: z.number().int(),
    offline: z.number().int(),
    rebootRequired: z.number().int(),
    /** Agents with no open update waiting (available or approved). */
    upToDate: z.number().int(),
  }),
  pending: z.object({
    total: z.number().int(),
    security: z.number().int(),
    approved: z.number().int(),
    bySeverity: z.record(severitySchema, z.number().int()),
    byPackageType: z.record(packageTypeSchema, z.number().int()),
  }),
  rebootRequiredHosts: z.array(z.object({ id: idSchema("agent"), hostname: z.string() })),
  /** Finished install commands per UTC day, oldest first, one entry for every day of the range. */
  installs: z.array(z.object({ day: z.string(), succeeded: z.number().int(), failed: z.number().int() })),
  recentFailures: z.array(failedCommandSchema),
  /** The fleet's line of the reports: compliance, mean time to patch, install success rates. */
  reports: groupReportSchema.extend({ complianceDays: z.number().int() }),
});

/** The server health page: what the agents and the queue are doing now, and what went wrong lately. */
export const serverActivityOutput = z.object({
  /** Distinct agents that checked in during the last minute. */
  checkInsLastMinute: z.number().int(),
  /** Distinct agents that checked in during the last 5 minutes, divided by 5. */
  checkInsPerMinuteLast5: z.number(),
  oldestPendingCommandAt: z.date().nullable(),
  recentErrors: z.array(
    z.object({
      at: z.date(),
      source: z.enum(["command", "scan"]),
      agentId: idSchema("agent"),
      hostname: z.string(),
      commandId: idSchema("command").nullable(),
      message: z.string(),
    }),
  ),
});

/**
 * What an agent puts in `result` when it reports a dry run: per package type, the changes the install
 * would make (the chosen updates and every dependency they pull in), or why it could not tell. The
 * dashboard shows them before an admin confirms an install; anything else falls back to the output.
 */
export const plannedChangeSchema = z.object({
  action: z.enum(["install", "upgrade", "downgrade", "reinstall", "remove"]),
  packageName: z.string(),
  currentVersion: z.string().nullable(),
  newVersion: z.string().nullable(),
});
export const dryRunResultSchema = z.object({
  plans: z.record(
    z.string(),
    z.union([z.object({ changes: z.array(plannedChangeSchema) }), z.object({ error: z.string() })]),
  ),
});
export type DryRunResult = z.infer<typeof dryRunResultSchema>;
