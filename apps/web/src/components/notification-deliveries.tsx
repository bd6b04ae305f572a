"use client";

import { type NotificationDeliveryStatus, notificationDeliveryStatuses } from "@redflag/contracts";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { formatDateTime, formatRelative, humanize } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { EmptyState, Pagination, StatusBadge } from "./ui/basics";
import { DataTable } from "./ui/data-table";
import { EnumFilter } from "./ui/enum-filter";
import { QueryState } from "./ui/query-state";
import { Untrusted } from "./ui/text";

const pageSize = 25;
const badgeOf: Record<NotificationDeliveryStatus, string> = {
  pending: "pending",
  sent: "succeeded",
  failed: "failed",
};

/** The delivery log, newest first: every attempt's outcome, filtered by status. */
export function NotificationDeliveries() {
  const trpc = useTRPC();
  const [status, setStatus] = useState<NotificationDeliveryStatus | undefined>();
  const [page, setPage] = useState(1);
  const deliveries = useQuery({
    ...trpc.notifications.deliveries.queryOptions({ status, page, pageSize }),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  return (
    <section className="card" aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Delivery log</h2>
      <div className="filters">
        <EnumFilter
          label="Status"
          value={status}
          options={notificationDeliveryStatuses}
          onChange={(value) => {
            setStatus(value ?? undefined);
            setPage(1);
          }}
        />
      </div>
      <QueryState query={deliveries} what="deliveries">
        {({ rows, total }) =>
          rows.length === 0 ? (
            <EmptyState title="Nothing sent yet" />
          ) : (
            <>
              <DataTable
                rows={rows}
                rowKey={(row) => row.id}
                caption="Delivery log"
                busy={deliveries.isFetching}
                columns={[
                  {
                    key: "time",
                    header: "Time",
                    className: "nowrap",
                    cell: (row) => (
                      <span title={formatDateTime(row.createdAt)}>{formatRelative(row.createdAt)}</span>
                    ),
                  },
                  { key: "target", header: "Target", cell: (row) => <Untrusted text={row.targetName} /> },
                  { key: "event", header: "Event", className: "nowrap", cell: (row) => humanize(row.event) },
                  {
                    key: "title",
                    header: "Title",
                    className: "wrap",
                    cell: (row) => <Untrusted text={row.title} />,
                  },
                  {
                    key: "status",
                    header: "Status",
                    cell: (row) => <StatusBadge value={badgeOf[row.status]} label={humanize(row.status)} />,
                  },
                  { key: "attempts", header: "Attempts", className: "numeric", cell: (row) => row.attempts },
                  {
                    key: "result",
                    header: "Last error / response",
                    className: "wrap",
                    cell: (row) =>
                      row.lastError ? (
                        <Untrusted text={row.lastError} />
                      ) : row.responseStatus !== null ? (
                        String(row.responseStatus)
                      ) : row.status === "pending" ? (
                        <span className="muted">next try {formatRelative(row.nextAttemptAt)}</span>
                      ) : null,
                  },
                ]}
              />
              <Pagination page={page} pageSize={pageSize} total={total} onPage={setPage} what="deliveries" />
            </>
          )
        }
      </QueryState>
    </section>
  );
}
