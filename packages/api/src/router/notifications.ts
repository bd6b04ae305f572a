import { createTRPCRouter } from "../trpc.ts";

export const notificationsRouter = createTRPCRouter({});
