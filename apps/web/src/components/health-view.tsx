"use client";

import { useQuery } from "@tanstack/react-query";
import { formatDuration } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { errorColumns, errorKey, healthWarnings } from "./health-parts";
import { EmptyState, Loading, PageHeader, QueryError } from "./ui/basics";
import { DataTable } from "./ui/data-table";
import { QueryState } from "./ui/query-state";

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
  const warnings = healthWarnings({
    health: data,
    activity: activity.data,
    warnOfflineAgents: settings.data?.healthWarnOfflineAgents ?? false,
    warnStuckCommands: settings.data?.healthWarnStuckCommands ?? false,
    now: Date.now(),
  });

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
