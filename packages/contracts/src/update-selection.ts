import { z } from "zod";
import { installUpdatesOutput, listUpdatesInput } from "./admin.ts";
import { idSchema } from "./ids.ts";
import { int32 } from "./primitives.ts";

/**
 * "Every update matching this filter", not only the page on screen: the same filter the updates list
 * takes, resolved on the server. A change by filter is all-or-nothing and capped, and names how many
 * updates the admin saw, so a list that changed in between is refused instead of acted on.
 */
export const maxUpdatesPerSelection = 5000;

export const updateFilterSchema = listUpdatesInput.pick({
  agentId: true,
  statuses: true,
  severities: true,
  packageTypes: true,
  security: true,
  held: true,
  search: true,
});
export type UpdateFilter = z.infer<typeof updateFilterSchema>;

export const matchingUpdatesInput = z.object({ filter: updateFilterSchema });
/** The ids (and what a confirmation names) of every update the filter matches, up to the cap. */
export const matchingUpdatesOutput = z.object({
  total: int32(),
  items: z.array(
    z.object({
      id: idSchema("update"),
      agentId: idSchema("agent"),
      hostname: z.string(),
      packageName: z.string(),
    }),
  ),
});

export const changeMatchingUpdatesInput = z.object({
  filter: updateFilterSchema,
  /** How many updates the admin was shown as matching; any other count now refuses the change. */
  expectedTotal: int32().min(1).max(maxUpdatesPerSelection),
});
export const installMatchingUpdatesOutput = installUpdatesOutput;
