import { createTRPCRouter } from "../trpc.ts";

export const policiesRouter = createTRPCRouter({});
