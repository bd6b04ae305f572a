import { z } from "zod";
import { defaultPollIntervalSeconds } from "../../config.ts";

/** Every setting an admin can change, with its type and default. Nothing else is readable or writable. */
export const settingSchemas = {
  debugMode: z.boolean(),
  defaultPollIntervalSeconds: z.number().int().min(5).max(86_400),
  commandMaxAttempts: z.number().int().min(1).max(20),
  /** Server health page: warn when agents stop checking in. */
  healthWarnOfflineAgents: z.boolean(),
  /** Server health page: warn when commands wait in the queue for over an hour. */
  healthWarnStuckCommands: z.boolean(),
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
]);
export type SetSettingInput = z.infer<typeof setSettingInput>;
