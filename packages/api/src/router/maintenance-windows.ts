import {
  agentWindowsInput,
  agentWindowsOutput,
  createWindowInput,
  listWindowOccurrencesInput,
  listWindowOccurrencesOutput,
  listWindowsOutput,
  previewScheduleInput,
  previewScheduleOutput,
  setWindowEnabledInput,
  updateWindowInput,
  windowIdInput,
  windowSchema,
} from "@redflag/contracts";
import { z } from "zod";
import { maintenanceWindowsJobName } from "../services/maintenance-windows/jobs.ts";
import {
  getAgentWindows,
  listWindowOccurrences,
  listWindows,
} from "../services/maintenance-windows/list-windows.ts";
import {
  createWindow,
  deleteWindow,
  setWindowEnabled,
  updateWindow,
} from "../services/maintenance-windows/save-window.ts";
import {
  describeSchedule,
  nextOpenings,
  validateTiming,
} from "../services/maintenance-windows/window-schedule.ts";
import { adminProcedure, type Context } from "../trpc.ts";

/** A saved window is looked at by the window job at once (it may be open now). */
async function runSoon<Result>(ctx: Context, result: Result): Promise<Result> {
  await ctx.scheduler.requestRun(maintenanceWindowsJobName);
  return result;
}

/** Maintenance windows: when approved updates of which hosts are installed, scans and reboots. */
export const maintenanceWindowsRouter = {
  list: adminProcedure("viewer")
    .output(listWindowsOutput)
    .query(({ ctx }) => listWindows(ctx.db, { now: new Date() })),
  occurrences: adminProcedure("viewer")
    .input(listWindowOccurrencesInput)
    .output(listWindowOccurrencesOutput)
    .query(({ ctx, input }) => listWindowOccurrences(ctx.db, input)),
  forAgent: adminProcedure("viewer")
    .input(agentWindowsInput)
    .output(agentWindowsOutput)
    .query(({ ctx, input }) => getAgentWindows(ctx.db, { agentId: input.agentId, now: new Date() })),
  /** The next openings of a schedule as the form is filled in; BAD_REQUEST says what is wrong with it. */
  previewSchedule: adminProcedure("viewer")
    .input(previewScheduleInput)
    .output(previewScheduleOutput)
    .query(({ input }) => {
      const now = new Date();
      validateTiming(input, now);
      return {
        openings: nextOpenings(input, now, input.count),
        description: describeSchedule(input.schedule),
      };
    }),
  create: adminProcedure("admin")
    .input(createWindowInput)
    .output(windowSchema)
    .mutation(async ({ ctx, input }) =>
      runSoon(ctx, await createWindow(ctx.db, { actor: ctx.actor, window: input })),
    ),
  update: adminProcedure("admin")
    .input(updateWindowInput)
    .output(windowSchema)
    .mutation(async ({ ctx, input: { windowId, ...window } }) =>
      runSoon(ctx, await updateWindow(ctx.db, { actor: ctx.actor, windowId, window })),
    ),
  setEnabled: adminProcedure("admin")
    .input(setWindowEnabledInput)
    .output(windowSchema)
    .mutation(async ({ ctx, input }) =>
      runSoon(ctx, await setWindowEnabled(ctx.db, { actor: ctx.actor, ...input })),
    ),
  delete: adminProcedure("admin")
    .input(windowIdInput)
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => deleteWindow(ctx.db, { actor: ctx.actor, windowId: input.windowId })),
};
