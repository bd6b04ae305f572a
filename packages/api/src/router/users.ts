import { idSchema, roleSchema, userSchema } from "@redflag/contracts";
import { z } from "zod";
import { createUser } from "../services/users/create-user.ts";
import { listUsers } from "../services/users/list-users.ts";
import { updateUser } from "../services/users/update-user.ts";
import { adminProcedure } from "../trpc.ts";
import { passwordSchema, usernameSchema } from "./user-fields.ts";

export const usersRouter = {
  list: adminProcedure("admin")
    .output(z.array(userSchema))
    .query(({ ctx }) => listUsers(ctx.db)),
  create: adminProcedure("admin")
    .input(z.object({ username: usernameSchema, password: passwordSchema, role: roleSchema }))
    .output(userSchema.omit({ disabledAt: true }))
    .mutation(({ ctx, input }) => createUser(ctx.db, { actor: ctx.actor, ...input })),
  update: adminProcedure("admin")
    .input(
      z.object({ userId: idSchema("user"), role: roleSchema.optional(), disabled: z.boolean().optional() }),
    )
    .output(userSchema.pick({ id: true, username: true, role: true, disabledAt: true }).optional())
    .mutation(({ ctx, input }) => updateUser(ctx.db, { actor: ctx.actor, ...input })),
};
