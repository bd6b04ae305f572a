import { z } from "zod";
import { getSettings } from "../services/settings/get-settings.ts";
import { setSetting } from "../services/settings/set-setting.ts";
import { setSettingInput, settingsSchema } from "../services/settings/settings-schema.ts";
import { adminProcedure } from "../trpc.ts";

export const settingsRouter = {
  get: adminProcedure("viewer")
    .output(settingsSchema.extend({ debugForcedByEnvironment: z.boolean() }))
    .query(async ({ ctx }) => {
      const settings = await getSettings(ctx.db);
      // REDFLAG_DEBUG=true turns debug mode on whatever the stored setting says.
      return {
        ...settings,
        debugMode: settings.debugMode || ctx.config.debug,
        debugForcedByEnvironment: ctx.config.debug,
      };
    }),
  set: adminProcedure("admin")
    .input(setSettingInput)
    .output(z.object({ key: z.string(), value: z.unknown() }))
    .mutation(async ({ ctx, input }) => {
      const saved = await setSetting(ctx.db, { actor: ctx.actor, setting: input });
      // At once here; other instances read it within debugModeRefreshMs (logging/debug-mode.ts).
      if (input.key === "debugMode") ctx.debugMode.apply(input.value);
      return saved;
    }),
};
