import { type DatabaseOrTransaction, settings } from "@redflag/db";
import { inArray } from "drizzle-orm";
import {
  type SettingKey,
  type Settings,
  settingDefaults,
  settingKeys,
  settingSchemas,
} from "./settings-schema.ts";

/** All settings, stored values over defaults; a stored value that no longer parses falls back to its default. */
export async function getSettings(db: DatabaseOrTransaction): Promise<Settings> {
  const rows = await db.select().from(settings).where(inArray(settings.key, settingKeys));
  const result: Record<string, unknown> = { ...settingDefaults };
  for (const row of rows) {
    const key = row.key as SettingKey;
    const parsed = settingSchemas[key].safeParse(row.value);
    if (parsed.success) result[key] = parsed.data;
  }
  return result as Settings;
}
