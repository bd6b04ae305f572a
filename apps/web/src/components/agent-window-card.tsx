"use client";

import type { AgentId } from "@redflag/contracts";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatDateTime } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { StatusBadge } from "./ui/basics";
import { DataTable } from "./ui/data-table";
import { QueryState } from "./ui/query-state";
import { Untrusted } from "./ui/text";

const runTones: Record<string, string> = {
  done: "succeeded",
  missed: "timed_out",
  failed: "failed",
  skipped: "cancelled",
};

/** The agent's maintenance windows: when the next opens, what it will do here, and its last runs. */
export function AgentWindowCard({ agentId }: { agentId: AgentId }) {
  const trpc = useTRPC();
  const windows = useQuery({
    ...trpc.maintenanceWindows.forAgent.queryOptions({ agentId }),
    refetchInterval: 15_000,
  });
  return (
    <section className="card" aria-labelledby="agent-windows-title">
      <h2 id="agent-windows-title">Maintenance windows</h2>
      <QueryState query={windows} what="maintenance windows">
        {(data) => (
          <>
            {data.windows.length === 0 ? (
              <p className="muted">
                No window covers this host: its approved updates install only when an admin installs them.{" "}
                <Link href="/windows">Maintenance windows</Link>
              </p>
            ) : (
              <ul className="plain-list">
                {data.windows.map((window) => (
                  <li key={window.id}>
                    <Link href="/windows">
                      <Untrusted className="strong" text={window.name} />
                    </Link>{" "}
                    {window.enabled ? (
                      <>
                        next opens {window.nextOpening?.local ?? "never"} for {window.durationMinutes} min:{" "}
                        {window.plan}
                      </>
                    ) : (
                      <span className="muted">disabled</span>
                    )}
                  </li>
                ))}
              </ul>
            )}
            {data.runs.length > 0 ? (
              <DataTable
                rows={data.runs}
                rowKey={(run) => run.id}
                caption="Window runs of this host"
                columns={[
                  { key: "window", header: "Window", cell: (run) => <Untrusted text={run.windowName} /> },
                  {
                    key: "opened",
                    header: "Opened",
                    className: "nowrap",
                    cell: (run) => formatDateTime(run.opensAt),
                  },
                  {
                    key: "status",
                    header: "Result",
                    cell: (run) => (
                      <>
                        <StatusBadge value={runTones[run.status] ?? "running"} label={run.status} />
                        {run.caughtUpAt ? <StatusBadge value="approved" label="caught up" /> : null}
                      </>
                    ),
                  },
                  { key: "detail", header: "Detail", className: "wrap", cell: (run) => run.detail ?? "" },
                ]}
              />
            ) : null}
          </>
        )}
      </QueryState>
    </section>
  );
}
