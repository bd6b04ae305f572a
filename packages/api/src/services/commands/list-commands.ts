import type { AgentId, CommandStatus, CommandType } from "@redflag/contracts";
import { agents, commands, type DatabaseOrTransaction } from "@redflag/db";
import { and, count, desc, eq, inArray, type SQL } from "drizzle-orm";

export type ListCommandsFilter = {
  agentId?: AgentId;
  statuses?: CommandStatus[];
  types?: CommandType[];
  page: number;
  pageSize: number;
};

export async function listCommands(db: DatabaseOrTransaction, filter: ListCommandsFilter) {
  const conditions: SQL[] = [];
  if (filter.agentId) conditions.push(eq(commands.agentId, filter.agentId));
  if (filter.statuses?.length) conditions.push(inArray(commands.status, filter.statuses));
  if (filter.types?.length) conditions.push(inArray(commands.type, filter.types));
  const where = and(...conditions);
  const [items, totals] = await Promise.all([
    db
      .select({
        id: commands.id,
        agentId: commands.agentId,
        hostname: agents.hostname,
        type: commands.type,
        status: commands.status,
        attempt: commands.attempt,
        maxAttempts: commands.maxAttempts,
        targetCount: commands.targets,
        progressPercent: commands.progressPercent,
        progressMessage: commands.progressMessage,
        exitCode: commands.exitCode,
        retryOf: commands.retryOf,
        createdAt: commands.createdAt,
        sentAt: commands.sentAt,
        startedAt: commands.startedAt,
        finishedAt: commands.finishedAt,
      })
      .from(commands)
      .innerJoin(agents, eq(agents.id, commands.agentId))
      .where(where)
      .orderBy(desc(commands.createdAt), desc(commands.id))
      .limit(filter.pageSize)
      .offset((filter.page - 1) * filter.pageSize),
    db.select({ total: count() }).from(commands).where(where),
  ]);
  return {
    items: items.map(({ targetCount, ...item }) => ({ ...item, targetCount: targetCount.length })),
    total: totals[0]?.total ?? 0,
  };
}
