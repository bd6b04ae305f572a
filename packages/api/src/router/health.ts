import { healthSchema } from "@redflag/contracts";
import { getHealth } from "../services/health/get-health.ts";
import { adminProcedure } from "../trpc.ts";

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
