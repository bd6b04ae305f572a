"use client";

import { useQuery } from "@tanstack/react-query";
import { messageOf } from "~/trpc/errors";
import { useTRPC } from "~/trpc/react";

export function HealthPanel() {
  const trpc = useTRPC();
  const health = useQuery({ ...trpc.health.get.queryOptions(), refetchInterval: 30_000 });

  return (
    <section className="card" aria-labelledby="health-title">
      <h2 id="health-title">Server health</h2>
      {health.isPending ? <p className="muted">Loading…</p> : null}
      {health.isError ? (
        <p className="form-error" role="alert">
          {messageOf(health.error)}
        </p>
      ) : null}
      {health.data ? (
        <dl className="facts">
          <div>
            <dt>Version</dt>
            <dd>{health.data.version}</dd>
          </div>
          <div>
            <dt>Uptime</dt>
            <dd>{formatDuration(health.data.uptimeSeconds)}</dd>
          </div>
          <div>
            <dt>Database</dt>
            <dd>
              <span className={health.data.database.reachable ? "status ok" : "status bad"}>
                {health.data.database.reachable ? "reachable" : "unreachable"}
              </span>{" "}
              {health.data.database.driver}
              {health.data.database.latencyMs !== null
                ? ` · ${health.data.database.latencyMs.toFixed(1)} ms`
                : ""}
              {health.data.database.error ? ` · ${health.data.database.error}` : ""}
            </dd>
          </div>
          <div>
            <dt>Migrations</dt>
            <dd>
              {health.data.migrations
                ? `${health.data.migrations.applied} of ${health.data.migrations.available} applied`
                : "unknown"}
            </dd>
          </div>
          <div>
            <dt>Agents</dt>
            <dd>
              {health.data.agents
                ? `${health.data.agents.total} total · ${health.data.agents.online} online · ${health.data.agents.offline} offline`
                : "unknown"}
            </dd>
          </div>
          <div>
            <dt>Command queue</dt>
            <dd>{formatQueue(health.data.commandQueue)}</dd>
          </div>
        </dl>
      ) : null}
    </section>
  );
}

function formatDuration(totalSeconds: number): string {
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min`;
  return `${totalSeconds} s`;
}

function formatQueue(queue: Record<string, number> | null): string {
  if (!queue) return "unknown";
  const entries = Object.entries(queue).filter(([, count]) => count > 0);
  if (entries.length === 0) return "empty";
  return entries.map(([status, count]) => `${count} ${status}`).join(" · ");
}
