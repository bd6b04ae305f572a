import { idSchema, nameText } from "@redflag/contracts";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { consumeRateLimit } from "../services/rate-limits/consume-rate-limit.ts";
import { logIn } from "../services/users/log-in.ts";
import { hasAnyAdmin, setUpFirstAdmin } from "../services/users/set-up-first-admin.ts";
import { adminProcedure, publicProcedure } from "../trpc.ts";
import { passwordSchema, usernameSchema } from "./user-fields.ts";

const sessionUser = z.object({
  id: idSchema("user"),
  username: z.string(),
  role: z.enum(["viewer", "operator", "admin"]),
});

export const authRouter = {
  setupStatus: publicProcedure
    .output(z.object({ needsSetup: z.boolean() }))
    .query(async ({ ctx }) => ({ needsSetup: !(await hasAnyAdmin(ctx.db)) })),
  setup: publicProcedure
    .input(z.object({ username: usernameSchema, password: passwordSchema }))
    .output(sessionUser)
    .mutation(async ({ ctx, input }) => {
      await consumeRateLimit(ctx.db, {
        key: `setup:${ctx.request.address}`,
        rule: ctx.config.rateLimits.setupPerAddress,
        what: "setup",
      });
      const user = await setUpFirstAdmin(ctx.db, input);
      const { cookie } = await ctx.adminSessions.create(user.id);
      ctx.responseHeaders.append("Set-Cookie", cookie);
      return user;
    }),
  login: publicProcedure
    .input(z.object({ username: nameText(64).min(1), password: z.string().min(1).max(1024) }))
    .output(sessionUser)
    .mutation(async ({ ctx, input }) => {
      const user = await logIn(ctx.db, {
        ...input,
        address: ctx.request.address,
        rules: {
          perUserAndAddress: ctx.config.rateLimits.loginFailuresPerUserAndAddress,
          perAddress: ctx.config.rateLimits.loginFailuresPerAddress,
        },
      });
      const { cookie } = await ctx.adminSessions.create(user.id);
      ctx.responseHeaders.append("Set-Cookie", cookie);
      return user;
    }),
  logout: adminProcedure("viewer")
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx }) => {
      if (ctx.actor.type !== "user") {
        throw new AppError(
          "BAD_REQUEST",
          "API tokens have no session to log out of; revoke the token instead",
        );
      }
      await ctx.adminSessions.invalidate(ctx.actor.sessionId);
      ctx.responseHeaders.append("Set-Cookie", ctx.adminSessions.blankCookie());
      return { ok: true as const };
    }),
  me: adminProcedure("viewer")
    .output(sessionUser.extend({ via: z.enum(["session", "api_token"]) }))
    .query(({ ctx }) => ({
      id: ctx.actor.userId,
      username: ctx.actor.type === "user" ? ctx.actor.username : `token ${ctx.actor.tokenId}`,
      role: ctx.actor.role,
      via: ctx.actor.type === "user" ? ("session" as const) : ("api_token" as const),
    })),
};
