import {
  createDownloadProfileInput,
  downloadProfileForAgentInput,
  downloadProfileForAgentOutput,
  downloadProfileIdInput,
  downloadProfileSchema,
  listDownloadProfilesOutput,
  updateDownloadProfileInput,
} from "@redflag/contracts";
import { z } from "zod";
import { effectiveDownloadProfile } from "../services/download-profiles/effective-profile.ts";
import { listDownloadProfiles } from "../services/download-profiles/list-profiles.ts";
import {
  createDownloadProfile,
  deleteDownloadProfile,
  updateDownloadProfile,
} from "../services/download-profiles/save-profile.ts";
import { adminProcedure } from "../trpc.ts";

/** Download profiles: per tag or host download limit, apt/dnf proxies and a Docker Hub mirror. */
export const downloadProfilesRouter = {
  list: adminProcedure("viewer")
    .output(listDownloadProfilesOutput)
    .query(({ ctx }) => listDownloadProfiles(ctx.db)),
  /** The one profile that applies to a host (most specific scope, then name), or null. */
  forAgent: adminProcedure("viewer")
    .input(downloadProfileForAgentInput)
    .output(downloadProfileForAgentOutput)
    .query(({ ctx, input }) => effectiveDownloadProfile(ctx.db, input.agentId)),
  create: adminProcedure("admin")
    .input(createDownloadProfileInput)
    .output(downloadProfileSchema)
    .mutation(({ ctx, input }) => createDownloadProfile(ctx.db, { actor: ctx.actor, profile: input })),
  update: adminProcedure("admin")
    .input(updateDownloadProfileInput)
    .output(downloadProfileSchema)
    .mutation(({ ctx, input: { profileId, ...profile } }) =>
      updateDownloadProfile(ctx.db, { actor: ctx.actor, profileId, profile }),
    ),
  delete: adminProcedure("admin")
    .input(downloadProfileIdInput)
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) =>
      deleteDownloadProfile(ctx.db, { actor: ctx.actor, profileId: input.profileId }),
    ),
};
