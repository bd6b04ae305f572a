import { snapshotBeforePatchSchema } from "@redflag/contracts";
import { z } from "zod";
import { defaultPollIntervalSeconds } from "../../config.ts";

const retentionDays = z.number().int().min(0).max(36_500);

/** Every setting an admin can change, with its type and default. Nothing else is readable or writable. */
export const settingSchemas = {
  debugMode: z.boolean(),
  defaultPollIntervalSeconds: z.number().int().min(5).max(86_400),
  commandMaxAttempts: z.number().int().min(1).max(20),
  /** Server health page: warn when agents stop checking in. */
  healthWarnOfflineAgents: z.boolean(),
  /** Server health page: warn when commands wait in the queue for over an hour. */
  healthWarnStuckCommands: z.boolean(),
  /** Retention, in days; 0 keeps forever. Older rows are deleted by the server's periodic sweep. */
  auditRetentionDays: retentionDays,
  scanRetentionDays: retentionDays,
  /** Also the notification delivery log's (what was sent or given up on). */
  commandLogRetentionDays: retentionDays,
  /** An agent checking in with an older version than the server's build gets one update_agent. */
  keepAgentsAtServerVersion: z.boolean(),
  /** Fleet-wide: at most this many installs queued by automation (windows, policies) run at once. */
  maxConcurrentInstalls: z.number().int().min(1).max(10_000),
  /** When the daily digest notification is sent: "HH:MM" in `dailyDigestTimeZone` (an IANA name). */
  dailyDigestTime: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM (24-hour)"),
  dailyDigestTimeZone: z
    .string()
    .min(1)
    .max(64)
    .refine(isTimeZone, "must be an IANA time zone such as Europe/Berlin"),
  /** Which Proxmox guests their node snapshots before an install, and how many of RedFlag's snapshots each keeps. */
  snapshotBeforePatch: snapshotBeforePatchSchema,
} as const;

export const settingsSchema = z.object(settingSchemas);

export type SettingKey = keyof typeof settingSchemas;
export type Settings = z.infer<typeof settingsSchema>;

export const settingDefaults: Settings = {
  debugMode: false,
  defaultPollIntervalSeconds,
  commandMaxAttempts: 3,
  healthWarnOfflineAgents: true,
  healthWarnStuckCommands: true,
  auditRetentionDays: 365,
  scanRetentionDays: 90,
  commandLogRetentionDays: 90,
  keepAgentsAtServerVersion: false,
  maxConcurrentInstalls: 10,
  dailyDigestTime: "08:00",
  dailyDigestTimeZone: "UTC",
  snapshotBeforePatch: { tags: [], agentIds: [], keep: 3 },
};

export const settingKeys = Object.keys(settingSchemas) as SettingKey[];

export const setSettingInput = z.discriminatedUnion("key", [
  z.object({ key: z.literal("debugMode"), value: settingSchemas.debugMode }),
  z.object({
    key: z.literal("defaultPollIntervalSeconds"),
    value: settingSchemas.defaultPollIntervalSeconds,
  }),
  z.object({ key: z.literal("commandMaxAttempts"), value: settingSchemas.commandMaxAttempts }),
  z.object({ key: z.literal("healthWarnOfflineAgents"), value: settingSchemas.healthWarnOfflineAgents }),
  z.object({ key: z.literal("healthWarnStuckCommands"), value: settingSchemas.healthWarnStuckCommands }),
  z.object({ key: z.literal("auditRetentionDays"), value: settingSchemas.auditRetentionDays }),
  z.object({ key: z.literal("scanRetentionDays"), value: settingSchemas.scanRetentionDays }),
  z.object({ key: z.literal("commandLogRetentionDays"), value: settingSchemas.commandLogRetentionDays }),
  z.object({ key: z.literal("keepAgentsAtServerVersion"), value: settingSchemas.keepAgentsAtServerVersion }),
  z.object({ key: z.literal("maxConcurrentInstalls"), value: settingSchemas.maxConcurrentInstalls }),
  z.object({ key: z.literal("dailyDigestTime"), value: settingSchemas.dailyDigestTime }),
  z.object({ key: z.literal("dailyDigestTimeZone"), value: settingSchemas.dailyDigestTimeZone }),
  z.object({ key: z.literal("snapshotBeforePatch"), value: settingSchemas.snapshotBeforePatch }),
]);

/** Whether the runtime knows this IANA time zone name. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
export type SetSettingInput = z.infer<typeof setSettingInput>;
