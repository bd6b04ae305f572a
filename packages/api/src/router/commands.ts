import {
  cancelCommandOutput,
  commandDetailSchema,
  commandIdInput,
  commandRecordSchema,
  listCommandsInput,
  listCommandsOutput,
} from "@redflag/contracts";
import { cancelCommand } from "../services/commands/cancel-command.ts";
import { getCommand } from "../services/commands/get-command.ts";
import { listCommands } from "../services/commands/list-commands.ts";
import { retryCommand } from "../services/commands/retry-command.ts";
import { rollbackCommand } from "../services/commands/rollback-command.ts";
import { adminProcedure } from "../trpc.ts";

export const commandsRouter = {
  list: adminProcedure("viewer")
    .meta({ openapi: { method: "GET", path: "/commands", tags: ["commands"], summary: "List commands" } })
    .input(listCommandsInput)
    .output(listCommandsOutput)
    .query(({ ctx, input }) => listCommands(ctx.db, input)),
  get: adminProcedure("viewer")
    .meta({
      openapi: {
        method: "GET",
        path: "/commands/{commandId}",
        tags: ["commands"],
        summary: "One command, with its log",
      },
    })
    .input(commandIdInput)
    .output(commandDetailSchema)
    .query(({ ctx, input }) => getCommand(ctx.db, input)),
  retry: adminProcedure("operator")
    .meta({
      openapi: {
        method: "POST",
        path: "/commands/{commandId}/retry",
        tags: ["commands"],
        summary: "Retry a failed command",
      },
    })
    .input(commandIdInput)
    .output(commandRecordSchema)
    .mutation(({ ctx, input }) => retryCommand(ctx.db, { actor: ctx.actor, ...input })),
  cancel: adminProcedure("operator")
    .meta({
      openapi: {
        method: "POST",
        path: "/commands/{commandId}/cancel",
        tags: ["commands"],
        summary: "Cancel a command not yet finished",
      },
    })
    .input(commandIdInput)
    .output(cancelCommandOutput)
    .mutation(({ ctx, input }) => cancelCommand(ctx.db, { actor: ctx.actor, ...input })),
  rollback: adminProcedure("operator")
    .input(commandIdInput)
    .output(commandRecordSchema)
    .mutation(({ ctx, input }) => rollbackCommand(ctx.db, { actor: ctx.actor, ...input })),
};
