import {
  createApiTokenInput,
  createdApiTokenSchema,
  createdRegistrationTokenSchema,
  createRegistrationTokenInput,
  idSchema,
  listedApiTokenSchema,
  listedRegistrationTokenSchema,
  revokedOutput,
} from "@redflag/contracts";
import { z } from "zod";
import { createApiToken } from "../services/api-tokens/create-api-token.ts";
import { listApiTokens } from "../services/api-tokens/list-api-tokens.ts";
import { revokeApiToken } from "../services/api-tokens/revoke-api-token.ts";
import { createRegistrationToken } from "../services/registration-tokens/create-registration-token.ts";
import { listRegistrationTokens } from "../services/registration-tokens/list-registration-tokens.ts";
import { revokeRegistrationToken } from "../services/registration-tokens/revoke-registration-token.ts";
import { adminProcedure } from "../trpc.ts";

const hours = (count: number) => new Date(Date.now() + count * 3_600_000);

export const registrationTokensRouter = {
  create: adminProcedure("operator")
    .input(createRegistrationTokenInput)
    .output(createdRegistrationTokenSchema)
    .mutation(({ ctx, input }) =>
      createRegistrationToken(ctx.db, {
        actor: ctx.actor,
        label: input.label,
        seats: input.seats,
        expiresAt: hours(input.expiresInHours),
      }),
    ),
  list: adminProcedure("viewer")
    .output(z.array(listedRegistrationTokenSchema))
    .query(({ ctx }) => listRegistrationTokens(ctx.db)),
  revoke: adminProcedure("operator")
    .input(z.object({ tokenId: idSchema("registrationToken") }))
    .output(revokedOutput)
    .mutation(({ ctx, input }) => revokeRegistrationToken(ctx.db, { actor: ctx.actor, ...input })),
};

export const apiTokensRouter = {
  create: adminProcedure("viewer")
    .input(createApiTokenInput)
    .output(createdApiTokenSchema)
    .mutation(({ ctx, input }) =>
      createApiToken(ctx.db, {
        actor: ctx.actor,
        name: input.name,
        role: input.role,
        expiresAt: input.expiresInDays === null ? null : hours(input.expiresInDays * 24),
      }),
    ),
  list: adminProcedure("admin")
    .output(z.array(listedApiTokenSchema))
    .query(({ ctx }) => listApiTokens(ctx.db)),
  revoke: adminProcedure("viewer")
    .input(z.object({ tokenId: idSchema("apiToken") }))
    .output(revokedOutput)
    .mutation(({ ctx, input }) => revokeApiToken(ctx.db, { actor: ctx.actor, ...input })),
};
