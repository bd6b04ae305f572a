import { z } from "zod";
import { createMetricsToken, getMetricsToken, revokeMetricsToken } from "../metrics/metrics-token.ts";
import { adminProcedure } from "../trpc.ts";

const tokenState = z.object({ displayPrefix: z.string(), createdAt: z.date() }).nullable();

/** The bearer token Prometheus sends to /metrics: one per server (all instances on one database). */
export const metricsTokenRouter = {
  get: adminProcedure("admin")
    .output(tokenState)
    .query(({ ctx }) => getMetricsToken(ctx.db)),
  /** Makes the token, or a new one in place of the old (which stops working at once); shown this once. */
  create: adminProcedure("admin")
    .output(z.object({ token: z.string(), displayPrefix: z.string(), createdAt: z.date() }))
    .mutation(({ ctx }) => createMetricsToken(ctx.db, { actor: ctx.actor })),
  revoke: adminProcedure("admin")
    .output(z.object({ revoked: z.boolean() }))
    .mutation(({ ctx }) => revokeMetricsToken(ctx.db, { actor: ctx.actor })),
};
