import {
  changedCountOutput,
  idSchema,
  installUpdatesOutput,
  listUpdatesInput,
  listUpdatesOutput,
} from "@redflag/contracts";
import type { OpenApiRouter } from "trpc-to-openapi";
import { z } from "zod";
import { appRouter } from "../root.ts";
import { decideUpdates } from "../services/updates/decide-updates.ts";
import { installUpdates } from "../services/updates/install-updates.ts";
import { listUpdates } from "../services/updates/list-updates.ts";
import { adminProcedure, createTRPCRouter } from "../trpc.ts";

const updateIdInput = z.object({ updateId: idSchema("update") });

/**
 * The seed's REST routes that name one resource in their path where the tRPC procedure takes a list
 * (`POST /updates/{updateId}/approve` is `updates.approve` with one id): the same services and schemas,
 * only the input shaped for a path.
 */
const restOnlyProcedures = {
  agentUpdates: adminProcedure("viewer")
    .meta({
      openapi: {
        method: "GET",
        path: "/agents/{agentId}/updates",
        tags: ["updates"],
        summary: "List one agent's updates",
      },
    })
    .input(listUpdatesInput.extend({ agentId: idSchema("agent") }))
    .output(listUpdatesOutput)
    .query(({ ctx, input }) => listUpdates(ctx.db, input)),
  approveUpdate: adminProcedure("operator")
    .meta({
      openapi: {
        method: "POST",
        path: "/updates/{updateId}/approve",
        tags: ["updates"],
        summary: "Approve one update",
      },
    })
    .input(updateIdInput)
    .output(changedCountOutput)
    .mutation(({ ctx, input }) =>
      decideUpdates(ctx.db, { actor: ctx.actor, updateIds: [input.updateId], decision: "approved" }),
    ),
  rejectUpdate: adminProcedure("operator")
    .meta({
      openapi: {
        method: "POST",
        path: "/updates/{updateId}/reject",
        tags: ["updates"],
        summary: "Reject one update",
      },
    })
    .input(updateIdInput)
    .output(changedCountOutput)
    .mutation(({ ctx, input }) =>
      decideUpdates(ctx.db, { actor: ctx.actor, updateIds: [input.updateId], decision: "rejected" }),
    ),
  installUpdate: adminProcedure("operator")
    .meta({
      openapi: {
        method: "POST",
        path: "/updates/{updateId}/install",
        tags: ["updates"],
        summary: "Install one update",
      },
    })
    .input(updateIdInput)
    .output(installUpdatesOutput)
    .mutation(({ ctx, input }) => installUpdates(ctx.db, { actor: ctx.actor, updateIds: [input.updateId] })),
};

/** What /api/v1 serves: every procedure with `.meta({ openapi })`, plus the REST-only ones above. */
export const restRouter = createTRPCRouter({ ...appRouter._def.record, rest: restOnlyProcedures });

/**
 * The same router as trpc-to-openapi types it: its meta is `Record<string, unknown>`, and tRPC's root
 * config is invariant in the meta type, so ours (`Meta`) does not convert on its own.
 */
export const restOpenApiRouter = restRouter as unknown as OpenApiRouter;

/**
 * What the REST handler is given: the same router and caller, but each procedure's input schema seen
 * through a copy. The library turns on zod coercion in the input schemas it reads (so `"false"` would
 * become `true`, and tRPC callers would see strings coerced); on the copies, that changes nothing the
 * procedures parse with. The route table types query values itself.
 */
export const restHandlerRouter: OpenApiRouter = (() => {
  type ProcedureLike = { _def: { inputs: z.ZodType[] } & Record<string, unknown> };
  const procedures = restRouter._def.procedures as unknown as Record<string, ProcedureLike>;
  const copies = Object.fromEntries(
    Object.entries(procedures).map(([path, procedure]) => [
      path,
      { _def: { ...procedure._def, inputs: procedure._def.inputs.map(detachedCopy) } },
    ]),
  );
  return {
    ...restOpenApiRouter,
    _def: { ...restOpenApiRouter._def, procedures: copies },
  } as unknown as OpenApiRouter;
})();

/** A copy of a schema whose definitions (and those of its fields and wrapped schemas) are its own. */
function detachedCopy(schema: z.ZodType): z.ZodType {
  const definition = { ...(schema._zod.def as unknown as Record<string, unknown>) };
  if (schema instanceof z.ZodObject) {
    definition.shape = Object.fromEntries(
      Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, field]) => [
        key,
        detachedCopy(field),
      ]),
    );
  }
  for (const key of ["innerType", "element", "in", "out"]) {
    const inner = definition[key];
    if (inner instanceof z.ZodType) definition[key] = detachedCopy(inner);
  }
  return schema.clone(definition as never);
}
