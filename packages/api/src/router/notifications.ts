import {
  createNotificationTargetInput,
  listNotificationDeliveriesInput,
  listNotificationDeliveriesOutput,
  listNotificationTargetsOutput,
  notificationTargetIdInput,
  notificationTargetSchema,
  sendTestNotificationOutput,
  updateNotificationTargetInput,
} from "@redflag/contracts";
import { z } from "zod";
import { createNotificationTarget } from "../services/notifications/create-target.ts";
import { deleteNotificationTarget } from "../services/notifications/delete-target.ts";
import { listNotificationDeliveries } from "../services/notifications/list-deliveries.ts";
import { listNotificationTargets } from "../services/notifications/list-targets.ts";
import { sendTestNotification } from "../services/notifications/send-test.ts";
import { updateNotificationTarget } from "../services/notifications/update-target.ts";
import { adminProcedure, createTRPCRouter } from "../trpc.ts";

/** Where notifications go (secrets write-only), the delivery log, and a test message on demand. */
export const notificationsRouter = createTRPCRouter({
  targets: adminProcedure("viewer")
    .output(listNotificationTargetsOutput)
    .query(({ ctx }) => listNotificationTargets(ctx.db, { serverSecret: ctx.config.secret })),
  create: adminProcedure("admin")
    .input(createNotificationTargetInput)
    .output(notificationTargetSchema)
    .mutation(({ ctx, input }) =>
      createNotificationTarget(ctx.db, {
        actor: ctx.actor,
        serverSecret: ctx.config.secret,
        target: input.target,
      }),
    ),
  update: adminProcedure("admin")
    .input(updateNotificationTargetInput)
    .output(notificationTargetSchema)
    .mutation(({ ctx, input }) =>
      updateNotificationTarget(ctx.db, { actor: ctx.actor, serverSecret: ctx.config.secret, ...input }),
    ),
  delete: adminProcedure("admin")
    .input(notificationTargetIdInput)
    .output(z.object({ deleted: z.boolean() }))
    .mutation(({ ctx, input }) =>
      deleteNotificationTarget(ctx.db, { actor: ctx.actor, serverSecret: ctx.config.secret, id: input.id }),
    ),
  sendTest: adminProcedure("admin")
    .input(notificationTargetIdInput)
    .output(sendTestNotificationOutput)
    .mutation(({ ctx, input }) =>
      sendTestNotification(ctx.db, {
        id: input.id,
        serverSecret: ctx.config.secret,
        username: ctx.actor.type === "user" ? ctx.actor.username : "An API token",
        now: new Date(),
      }),
    ),
  deliveries: adminProcedure("viewer")
    .input(listNotificationDeliveriesInput)
    .output(listNotificationDeliveriesOutput)
    .query(({ ctx, input }) => listNotificationDeliveries(ctx.db, input)),
});
