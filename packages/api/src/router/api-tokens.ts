import {
  createApiTokenInput,
  createdApiTokenSchema,
  idSchema,
  listedApiTokenSchema,
  revokedOutput,
} from "@redflag/contracts";
import { z } from "zod";
import { createApiToken } from "../services/api-tokens/create-api-token.ts";
import { listApiTokens } from "../services/api-tokens/list-api-tokens.ts";
import { revokeApiToken } from "../services/api-tokens/revoke-api-token.ts";
import { adminProcedure } from "../trpc.ts";

export const apiTokensRouter = {
  create: adminProcedure("viewer")
    .input(createApiTokenInput)
    .output(createdApiTokenSchema)
    .mutation(({ ctx, input }) =>
      createApiToken(ctx.db, {
        actor: ctx.actor,
        name: input.name,
        role: input.role,
        expiresAt:
          input.expiresInDays === null ? null : new Date(Date.now() + input.expiresInDays * 86_400_000),
      }),
    ),
  list: adminProcedure("admin")
    .output(z.array(listedApiTokenSchema))
    .query(({ ctx }) => listApiTokens(ctx.db)),
  revoke: adminProcedure("viewer")
    .input(z.object({ tokenId: idSchema("apiToken") }))
    .output(revokedOutput("apiToken"))
    .mutation(({ ctx, input }) => revokeApiToken(ctx.db, { actor: ctx.actor, ...input })),
};
