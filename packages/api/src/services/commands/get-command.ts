import type { CommandId } from "@redflag/contracts";
import { commandLogs, commands, type DatabaseOrTransaction } from "@redflag/db";
import { asc, eq } from "drizzle-orm";
import { notFound } from "../../errors.ts";

export async function getCommand(db: DatabaseOrTransaction, options: { commandId: CommandId }) {
  const [command] = await db.select().from(commands).where(eq(commands.id, options.commandId));
  if (!command) throw notFound("Command", options.commandId);
  const logs = await db
    .select()
    .from(commandLogs)
    .where(eq(commandLogs.commandId, command.id))
    .orderBy(asc(commandLogs.createdAt), asc(commandLogs.id));
  return { ...command, logs };
}
