import {
  auditEventSchema,
  healthSchema,
  idSchema,
  listAuditEventsInput,
  roleSchema,
  userSchema,
} from "@redflag/contracts";
import { z } from "zod";
import { listAuditEvents } from "../services/audit/list-audit-events.ts";
import { getHealth } from "../services/health/get-health.ts";
import { getSettings } from "../services/settings/get-settings.ts";
import { setSetting } from "../services/settings/set-setting.ts";
import { setSettingInput } from "../services/settings/settings-schema.ts";
import { createUser } from "../services/users/create-user.ts";
import { listUsers } from "../services/users/list-users.ts";
import { updateUser } from "../services/users/update-user.ts";
import { adminProcedure } from "../trpc.ts";
import { passwordSchema, usernameSchema } from "./user-fields.ts";

const settingsSchema = z.object({
  debugMode: z.boolean(),
  defaultPollIntervalSeconds: z.number().int(),
  commandMaxAttempts: z.number().int(),
  healthWarnOfflineAgents: z.boolean(),
  healthWarnStuckCommands: z.boolean(),
});

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
    .mutation(({ ctx, input }) => setSetting(ctx.db, { actor: ctx.actor, setting: input })),
};

export const usersRouter = {
  list: adminProcedure("admin")
    .output(z.array(userSchema))
    .query(({ ctx }) => listUsers(ctx.db)),
  create: adminProcedure("admin")
    .input(z.object({ username: usernameSchema, password: passwordSchema, role: roleSchema }))
    .output(userSchema.omit({ disabledAt: true }))
    .mutation(({ ctx, input }) => createUser(ctx.db, { actor: ctx.actor, ...input })),
  update: adminProcedure("admin")
    .input(
      z.object({ userId: idSchema("user"), role: roleSchema.optional(), disabled: z.boolean().optional() }),
    )
    .output(userSchema.pick({ id: true, username: true, role: true, disabledAt: true }).optional())
    .mutation(({ ctx, input }) => updateUser(ctx.db, { actor: ctx.actor, ...input })),
};

export const healthRouter = {
  get: adminProcedure("viewer")
    .output(healthSchema)
    .query(({ ctx }) =>
      getHealth({
        db: ctx.db,
        driver: ctx.driver,
        ping: ctx.ping,
        version: ctx.config.version,
        startedAt: ctx.startedAt,
        migrationsFolder: ctx.config.migrationsFolder,
      }),
    ),
};

export const auditRouter = {
  list: adminProcedure("viewer")
    .input(listAuditEventsInput)
    .output(z.object({ items: z.array(auditEventSchema), total: z.number().int() }))
    .query(({ ctx, input }) => listAuditEvents(ctx.db, input)),
};
