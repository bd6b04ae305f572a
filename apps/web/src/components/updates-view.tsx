"use client";

import type { listUpdatesOutput } from "@redflag/contracts";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { z } from "zod";
import { useTRPC } from "~/trpc/react";
import { type InstallChoice, InstallDialog } from "./install-dialog";
import { useCan } from "./session";
import { EmptyState, PageHeader, Pagination } from "./ui/basics";
import { QueryState } from "./ui/query-state";
import { useUpdateSelection } from "./update-selection";
import { UpdatesBulkBar } from "./updates-bulk-bar";
import { UpdatesFilters } from "./updates-filters";
import { UpdatesTable } from "./updates-table";
import { updatesPageSize, useUpdateFilter } from "./use-update-filter";

export type UpdateSummary = z.infer<typeof listUpdatesOutput>["items"][number];

export function UpdatesView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canChange = useCan("operator");
  const state = useUpdateFilter();
  const { filter, sort, direction, page } = state;
  const updates = useQuery({
    ...trpc.updates.list.queryOptions({ ...filter, sort, direction, page, pageSize: updatesPageSize }),
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
  });
  const selection = useUpdateSelection(JSON.stringify(filter));
  const [installing, setInstalling] = useState<InstallChoice | null>(null);

  return (
    <>
      <PageHeader
        title="Updates"
        description="What the agents reported; select updates to approve, reject or install."
      />
      <UpdatesFilters state={state} />
      {canChange ? (
        <UpdatesBulkBar
          selection={selection}
          filter={filter}
          total={updates.data?.total ?? 0}
          pageCount={updates.data?.items.length ?? 0}
          onInstall={setInstalling}
        />
      ) : null}
      <QueryState query={updates} what="updates">
        {(data) =>
          data.total === 0 ? (
            <NoUpdates filtered={state.filtered} />
          ) : (
            <>
              <UpdatesTable
                items={data.items}
                state={state}
                selection={canChange ? selection : null}
                busy={updates.isFetching}
              />
              <Pagination
                page={page}
                pageSize={updatesPageSize}
                total={data.total}
                onPage={(next) => state.set({ page: next })}
                what="updates"
              />
            </>
          )
        }
      </QueryState>
      {installing ? (
        <InstallDialog
          choice={installing}
          onClose={() => setInstalling(null)}
          onInstalled={() => {
            selection.clear();
            void queryClient.invalidateQueries({ queryKey: trpc.updates.pathKey() });
          }}
        />
      ) : null}
    </>
  );
}

function NoUpdates({ filtered }: { filtered: boolean }) {
  return filtered ? (
    <EmptyState title="No update matches these filters">
      <Link href="/updates">Clear the filters</Link> to see every waiting update.
    </EmptyState>
  ) : (
    <EmptyState title="Nothing waiting">
      Every host is up to date as of its last scan. Agents report new updates after each scan.
    </EmptyState>
  );
}
