import { auditEventSchema, listAuditEventsInput } from "@redflag/contracts";
import { z } from "zod";
import { listAuditEvents } from "../services/audit/list-audit-events.ts";
import { adminProcedure } from "../trpc.ts";

export const auditRouter = {
  list: adminProcedure("viewer")
    .input(listAuditEventsInput)
    .output(z.object({ items: z.array(auditEventSchema), total: z.number().int() }))
    .query(({ ctx, input }) => listAuditEvents(ctx.db, input)),
};
