import type { healthSchema, serverActivityOutput } from "@redflag/contracts";
import Link from "next/link";
import type { z } from "zod";
import { formatDateTime, formatRelative, plural } from "~/lib/format";
import { StatusBadge } from "./ui/basics";
import type { Column } from "./ui/data-table";
import { Untrusted } from "./ui/text";

const stuckAfterMs = 3_600_000;
/** A command that failed this recently keeps the page from calling the server healthy. */
const failedCommandWindowMs = 3_600_000;

type Activity = z.infer<typeof serverActivityOutput>;

/** What the health page warns about; none means it may say the server is healthy. */
export function healthWarnings(options: {
  health: z.infer<typeof healthSchema>;
  activity: Activity | undefined;
  warnOfflineAgents: boolean;
  warnStuckCommands: boolean;
  now: number;
}): string[] {
  const { health, activity } = options;
  const warnings: string[] = [];
  if (!health.database.reachable)
    warnings.push(`The database is unreachable: ${health.database.error ?? "no answer"}`);
  if (health.migrations && health.migrations.applied < health.migrations.available) {
    warnings.push(
      `${health.migrations.available - health.migrations.applied} migrations are not applied yet; restart the server.`,
    );
  }
  if (options.warnOfflineAgents && health.agents && health.agents.offline > 0) {
    warnings.push(
      `${health.agents.offline} of ${health.agents.total} agents are offline (no check-in for 3 poll intervals).`,
    );
  }
  const failedLastHour = (activity?.recentErrors ?? []).filter(
    (error) => error.source === "command" && options.now - error.at.getTime() < failedCommandWindowMs,
  );
  if (failedLastHour.length > 0) {
    warnings.push(
      `${plural(failedLastHour.length, "command")} failed in the last hour; the latest on ${failedLastHour[0]?.hostname}: ${failedLastHour[0]?.message}`,
    );
  }
  const oldest = activity?.oldestPendingCommandAt;
  if (options.warnStuckCommands && oldest && options.now - oldest.getTime() > stuckAfterMs) {
    warnings.push(`A command has waited in the queue since ${formatDateTime(oldest)}: is its agent offline?`);
  }
  return warnings;
}

type RecentError = z.infer<typeof serverActivityOutput>["recentErrors"][number];
export const errorKey = (error: RecentError) =>
  `${error.source}-${error.commandId ?? error.agentId}-${error.at.toISOString()}-${error.message}`;
export const errorColumns: Column<RecentError>[] = [
  {
    key: "when",
    header: "When",
    className: "nowrap",
    cell: (error) => <span title={formatDateTime(error.at)}>{formatRelative(error.at)}</span>,
  },
  {
    key: "source",
    header: "Source",
    cell: (error) => (
      <StatusBadge value={error.source === "command" ? "failed" : "important"} label={error.source} />
    ),
  },
  {
    key: "host",
    header: "Host",
    cell: (error) => (
      <Link href={`/agents/${error.agentId}`}>
        <Untrusted text={error.hostname} />
      </Link>
    ),
  },
  {
    key: "what",
    header: "What happened",
    className: "wrap",
    cell: (error) =>
      error.commandId ? <Link href={`/commands/${error.commandId}`}>{error.message}</Link> : error.message,
  },
];
