"use client";

import { useQuery } from "@tanstack/react-query";
import { formatDateTime } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { EmptyState } from "./ui/basics";
import { DataTable } from "./ui/data-table";
import { QueryState } from "./ui/query-state";
import { Untrusted } from "./ui/text";

/** The latest occurrences of every window: how many hosts were done, missed, caught up, failed. */
export function WindowOccurrences() {
  const trpc = useTRPC();
  const occurrences = useQuery({
    ...trpc.maintenanceWindows.occurrences.queryOptions({ limit: 20 }),
    refetchInterval: 15_000,
  });
  return (
    <section className="card" aria-labelledby="window-runs-title">
      <h2 id="window-runs-title">Recent runs</h2>
      <QueryState query={occurrences} what="recent runs">
        {({ items }) =>
          items.length === 0 ? (
            <EmptyState title="No window has opened yet" />
          ) : (
            <DataTable
              rows={items}
              rowKey={(row) => `${row.windowId}-${row.opensAt.toISOString()}`}
              caption="Recent window runs"
              columns={[
                {
                  key: "window",
                  header: "Window",
                  cell: (row) => <Untrusted className="strong" text={row.windowName} />,
                },
                {
                  key: "opened",
                  header: "Opened",
                  className: "nowrap",
                  cell: (row) => formatDateTime(row.opensAt),
                },
                { key: "hosts", header: "Hosts", className: "numeric", cell: (row) => row.hosts },
                { key: "done", header: "Done", className: "numeric", cell: (row) => row.done },
                { key: "missed", header: "Missed", className: "numeric", cell: (row) => row.missed },
                { key: "caughtUp", header: "Caught up", className: "numeric", cell: (row) => row.caughtUp },
                { key: "failed", header: "Failed", className: "numeric", cell: (row) => row.failed },
                { key: "rebooted", header: "Rebooted", className: "numeric", cell: (row) => row.rebooted },
                { key: "active", header: "In progress", className: "numeric", cell: (row) => row.active },
              ]}
            />
          )
        }
      </QueryState>
    </section>
  );
}
