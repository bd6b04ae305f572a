import { every, type ScheduledJob } from "../../scheduler/scheduler.ts";
import { deliverNotifications } from "./deliver-notifications.ts";
import { sendDailyDigest } from "./send-digest.ts";
import { watchFleet } from "./watch-fleet.ts";

export const deliveryJobName = "notification-deliveries";
export const watchJobName = "notification-watch";
export const digestJobName = "notification-digest";

/** The scheduler's jobs that deliver notifications with retries, watch agents go offline and come back, the daily digest. */
export const notificationJobs: ScheduledJob[] = [
  {
    name: deliveryJobName,
    nextRunAfter: every(5),
    run: async ({ db, config, now }) => {
      await deliverNotifications(db, { now, serverSecret: config.secret });
    },
  },
  {
    name: watchJobName,
    nextRunAfter: every(60),
    run: async ({ db, now }) => {
      await watchFleet(db, { now });
    },
  },
  {
    name: digestJobName,
    nextRunAfter: every(60),
    run: async ({ db, now }) => {
      await sendDailyDigest(db, { now });
    },
  },
];
