import { createTRPCRouter } from "../trpc.ts";

export const maintenanceWindowsRouter = createTRPCRouter({});
