import type { ScannerSummary } from "@redflag/contracts";
import { agents, commands, type DatabaseOrTransaction, scans } from "@redflag/db";
import { and, asc, count, desc, eq, gt, inArray, isNotNull, sql } from "drizzle-orm";
import { describeFailure } from "./describe-failure.ts";

const recentErrorWindowMs = 24 * 3_600_000;

/** What the server health page shows beside the health check: check-in rate, queue age, recent errors. */
export async function getServerActivity(db: DatabaseOrTransaction, options: { now?: Date } = {}) {
  const now = options.now ?? new Date();
  const since = new Date(now.getTime() - recentErrorWindowMs);
  const [[lastMinute], [lastFive], [oldestPending], failedCommands, failedScans] = await Promise.all([
    db
      .select({ count: count() })
      .from(agents)
      .where(gt(agents.lastCheckInAt, new Date(now.getTime() - 60_000))),
    db
      .select({ count: count() })
      .from(agents)
      .where(gt(agents.lastCheckInAt, new Date(now.getTime() - 5 * 60_000))),
    db
      .select({ createdAt: commands.createdAt })
      .from(commands)
      .where(eq(commands.status, "pending"))
      .orderBy(asc(commands.createdAt))
      .limit(1),
    db
      .select({
        at: commands.finishedAt,
        agentId: commands.agentId,
        hostname: agents.hostname,
        commandId: commands.id,
        type: commands.type,
        status: commands.status,
        exitCode: commands.exitCode,
        progressMessage: commands.progressMessage,
        output: commands.output,
        itemOutcomes: commands.itemOutcomes,
        result: commands.result,
      })
      .from(commands)
      .innerJoin(agents, eq(agents.id, commands.agentId))
      .where(
        and(
          isNotNull(commands.finishedAt),
          gt(commands.finishedAt, since),
          inArray(commands.status, ["failed", "timed_out"]),
        ),
      )
      .orderBy(desc(commands.finishedAt))
      .limit(20),
    db
      .select({
        at: scans.receivedAt,
        agentId: scans.agentId,
        hostname: agents.hostname,
        scanners: scans.scanners,
      })
      .from(scans)
      .innerJoin(agents, eq(agents.id, scans.agentId))
      .where(and(gt(scans.receivedAt, since), sql`${scans.scanners} @> '[{"status":"error"}]'::jsonb`))
      .orderBy(desc(scans.receivedAt))
      .limit(20),
  ]);
  const recentErrors = [
    ...failedCommands.map((row) => ({
      at: row.at ?? now,
      source: "command" as const,
      agentId: row.agentId,
      hostname: row.hostname,
      commandId: row.commandId,
      message: describeFailure(row),
    })),
    ...failedScans.flatMap((row) =>
      row.scanners
        .filter((scanner) => scanner.status === "error")
        .map((scanner) => ({
          at: row.at,
          source: "scan" as const,
          agentId: row.agentId,
          hostname: row.hostname,
          commandId: null,
          message: `${scanner.packageType} scan failed${scanFailureNote(scanner)}: ${scanner.error ?? "no message"}`,
        })),
    ),
  ]
    .sort((a, b) => b.at.getTime() - a.at.getTime())
    .slice(0, 20);
  return {
    checkInsLastMinute: lastMinute?.count ?? 0,
    checkInsPerMinuteLast5: Math.round(((lastFive?.count ?? 0) / 5) * 10) / 10,
    oldestPendingCommandAt: oldestPending?.createdAt ?? null,
    recentErrors,
  };
}

/** " (locked, will retry)": the kind when it says more than "failed", and whether the agent retries. */
function scanFailureNote(scanner: ScannerSummary): string {
  const notes = [
    scanner.errorKind && scanner.errorKind !== "failed" ? scanner.errorKind : null,
    scanner.retryable ? "will retry" : null,
  ].filter(Boolean);
  return notes.length > 0 ? ` (${notes.join(", ")})` : "";
}
