"use client";

import type { serverActivityOutput } from "@redflag/contracts";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { z } from "zod";
import { formatDateTime, formatDuration, formatRelative, plural } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { EmptyState, Loading, PageHeader, QueryError, StatusBadge } from "./ui/basics";
import { type Column, DataTable } from "./ui/data-table";
import { QueryState } from "./ui/query-state";
import { Untrusted } from "./ui/text";

const stuckAfterMs = 3_600_000;
/** A command that failed this recently keeps the page from calling the server healthy. */
const failedCommandWindowMs = 3_600_000;

export function HealthView() {
  const trpc = useTRPC();
  const health = useQuery({ ...trpc.health.get.queryOptions(), refetchInterval: 5000 });
  const activity = useQuery({ ...trpc.dashboard.activity.queryOptions(), refetchInterval: 5000 });
  const settings = useQuery(trpc.settings.get.queryOptions());

  if (health.isPending) return <Loading what="server health" />;
  if (health.isError) return <QueryError error={health.error} retry={() => health.refetch()} />;
  const data = health.data;
  const queue = data.commandQueue ?? {};
  const queueDepth = Object.values(queue).reduce((sum, count) => sum + count, 0);
  const warnings: string[] = [];
  if (!data.database.reachable)
    warnings.push(`The database is unreachable: ${data.database.error ?? "no answer"}`);
  if (data.migrations && data.migrations.applied < data.migrations.available) {
    warnings.push(
      `${data.migrations.available - data.migrations.applied} migrations are not applied yet; restart the server.`,
    );
  }
  if (settings.data?.healthWarnOfflineAgents && data.agents && data.agents.offline > 0) {
    warnings.push(
      `${data.agents.offline} of ${data.agents.total} agents are offline (no check-in for 3 poll intervals).`,
    );
  }
  const failedLastHour = (activity.data?.recentErrors ?? []).filter(
    (error) => error.source === "command" && Date.now() - error.at.getTime() < failedCommandWindowMs,
  );
  if (failedLastHour.length > 0) {
    warnings.push(
      `${plural(failedLastHour.length, "command")} failed in the last hour; the latest on ${failedLastHour[0]?.hostname}: ${failedLastHour[0]?.message}`,
    );
  }
  const oldest = activity.data?.oldestPendingCommandAt;
  if (settings.data?.healthWarnStuckCommands && oldest && Date.now() - oldest.getTime() > stuckAfterMs) {
    warnings.push(`A command has waited in the queue since ${formatDateTime(oldest)}: is its agent offline?`);
  }

  return (
    <>
      <PageHeader title="Server health" description="Refreshes every 5 seconds." />
      {warnings.length > 0 ? (
        <ul className="warnings" aria-label="Warnings">
          {warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      ) : (
        <p className="form-success" role="status">
          Everything looks healthy.
        </p>
      )}
      <section className="stats" aria-label="Server">
        <div className="stat">
          <span className="stat-label">Version</span>
          <span className="stat-value">{data.version}</span>
          <span className="stat-note">up {formatDuration(data.uptimeSeconds)}</span>
        </div>
        <div className="stat">
          <span className="stat-label">Database</span>
          <span className={`stat-value ${data.database.reachable ? "ok-text" : "bad-text"}`}>
            {data.database.driver === "pglite" ? "PGlite" : "PostgreSQL"}
          </span>
          <span className="stat-note">
            {data.database.reachable
              ? `${data.database.latencyMs?.toFixed(1) ?? "?"} ms round trip`
              : (data.database.error ?? "unreachable")}
          </span>
        </div>
        <div className="stat">
          <span className="stat-label">Migrations</span>
          <span className="stat-value">
            {data.migrations ? `${data.migrations.applied}/${data.migrations.available}` : "—"}
          </span>
          <span className="stat-note mono">{data.migrations?.latestHash?.slice(0, 12) ?? "unknown"}</span>
        </div>
        <div className="stat">
          <span className="stat-label">Check-ins per minute</span>
          <span className="stat-value">{activity.data ? activity.data.checkInsLastMinute : "…"}</span>
          <span className="stat-note">
            {activity.data ? `${activity.data.checkInsPerMinuteLast5} on average over 5 min` : ""}
          </span>
        </div>
        <div className="stat">
          <span className="stat-label">Command queue</span>
          <span className="stat-value">{queueDepth}</span>
          <span className="stat-note">
            {queue.pending ?? 0} pending · {queue.sent ?? 0} sent · {queue.running ?? 0} running
          </span>
        </div>
        <div className="stat">
          <span className="stat-label">Agents</span>
          <span className="stat-value">{data.agents?.online ?? "—"}</span>
          <span className="stat-note">
            online of {data.agents?.total ?? "?"} ({data.agents?.offline ?? "?"} offline)
          </span>
        </div>
      </section>
      <section className="card" aria-labelledby="errors-title">
        <h2 id="errors-title">Recent errors (last 24 hours)</h2>
        <QueryState query={activity} what="recent errors">
          {(data) =>
            data.recentErrors.length === 0 ? (
              <EmptyState title="No errors">
                No failed commands or scanner errors in the last 24 hours.
              </EmptyState>
            ) : (
              <DataTable columns={errorColumns} rows={data.recentErrors} rowKey={errorKey} />
            )
          }
        </QueryState>
      </section>
    </>
  );
}

type RecentError = z.infer<typeof serverActivityOutput>["recentErrors"][number];
const errorKey = (error: RecentError) =>
  `${error.source}-${error.commandId ?? error.agentId}-${error.at.toISOString()}-${error.message}`;
const errorColumns: Column<RecentError>[] = [
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
