import {
  createdRegistrationTokenSchema,
  createRegistrationTokenInput,
  idSchema,
  listedRegistrationTokenSchema,
  revokedOutput,
} from "@redflag/contracts";
import { z } from "zod";
import { createRegistrationToken } from "../services/registration-tokens/create-registration-token.ts";
import { listRegistrationTokens } from "../services/registration-tokens/list-registration-tokens.ts";
import { revokeRegistrationToken } from "../services/registration-tokens/revoke-registration-token.ts";
import { adminProcedure } from "../trpc.ts";

export const registrationTokensRouter = {
  create: adminProcedure("operator")
    .input(createRegistrationTokenInput)
    .output(createdRegistrationTokenSchema)
    .mutation(({ ctx, input }) =>
      createRegistrationToken(ctx.db, {
        actor: ctx.actor,
        label: input.label,
        seats: input.seats,
        expiresAt: new Date(Date.now() + input.expiresInHours * 3_600_000),
      }),
    ),
  list: adminProcedure("viewer")
    .output(z.array(listedRegistrationTokenSchema))
    .query(({ ctx }) => listRegistrationTokens(ctx.db)),
  revoke: adminProcedure("operator")
    .input(z.object({ tokenId: idSchema("registrationToken") }))
    .output(revokedOutput("registrationToken"))
    .mutation(({ ctx, input }) => revokeRegistrationToken(ctx.db, { actor: ctx.actor, ...input })),
};
