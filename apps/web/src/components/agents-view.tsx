"use client";

import { osTypes } from "@redflag/contracts";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { oneOf, pageOf, useUrlState } from "~/lib/search-params";
import { useTRPC } from "~/trpc/react";
import { AgentsTable, agentSorts } from "./agents-table";
import { SearchInput } from "./search-input";
import { RequireRole } from "./session";
import { EmptyState, Loading, PageHeader, Pagination, QueryError, SortHeader } from "./ui/basics";
import { EnumFilter } from "./ui/enum-filter";

const pageSize = 50;

export function AgentsView() {
  const trpc = useTRPC();
  const { params, set } = useUrlState();
  const search = params.get("search") ?? "";
  const presence = oneOf(params.get("presence"), ["online", "offline"] as const);
  const osType = oneOf(params.get("os"), osTypes);
  const tag = params.get("tag") ?? undefined;
  const sort = oneOf(params.get("sort"), agentSorts, "hostname");
  const direction = oneOf(params.get("direction"), ["asc", "desc"] as const, "asc");
  const page = pageOf(params);
  const agents = useQuery({
    ...trpc.agents.list.queryOptions({
      search: search || undefined,
      presence,
      osType,
      tag,
      sort,
      direction,
      page,
      pageSize,
    }),
    refetchInterval: 10_000,
    placeholderData: keepPreviousData,
  });
  const filtered = Boolean(search || presence || osType || tag);

  return (
    <>
      <PageHeader
        title="Agents"
        description="Every registered machine; refreshes every 10 seconds."
        actions={
          <RequireRole atLeast="operator">
            <Link href="/agents/add" className="button primary">
              Add agent
            </Link>
          </RequireRole>
        }
      />
      <section className="filters" aria-label="Filters">
        <SearchInput
          label="Search"
          placeholder="Hostname, OS or agent id"
          value={search}
          onSearch={(value) => set({ search: value, page: null })}
        />
        <EnumFilter
          label="Status"
          value={presence}
          options={["online", "offline"] as const}
          onChange={(value) => set({ presence: value, page: null })}
        />
        <EnumFilter
          label="OS"
          value={osType}
          options={osTypes}
          labelOf={(type) => type}
          onChange={(value) => set({ os: value, page: null })}
        />
        <SearchInput
          label="Tag"
          placeholder="e.g. web"
          value={tag ?? ""}
          onSearch={(value) => set({ tag: value, page: null })}
        />
      </section>
      {agents.isPending ? <Loading what="agents" /> : null}
      {agents.isError ? <QueryError error={agents.error} retry={() => agents.refetch()} /> : null}
      {agents.data && agents.data.total === 0 ? (
        filtered ? (
          <EmptyState title="No agent matches these filters">
            <button
              type="button"
              className="button small"
              onClick={() => set({ search: null, presence: null, os: null, tag: null, page: null })}
            >
              Clear filters
            </button>
          </EmptyState>
        ) : (
          <EmptyState title="No agents registered yet">
            Create a registration token on <Link href="/agents/add">Add agent</Link> and run the install
            command on a machine.
          </EmptyState>
        )
      ) : null}
      {agents.data && agents.data.total > 0 ? (
        <>
          <AgentsTable
            agents={agents.data.items}
            busy={agents.isFetching}
            sortHeader={(label, column) => (
              <SortHeader
                label={label}
                column={column}
                sort={sort}
                direction={direction}
                onSort={(next, nextDirection) => set({ sort: next, direction: nextDirection, page: null })}
              />
            )}
            onTag={(name) => set({ tag: name, page: null })}
          />
          <Pagination
            page={page}
            pageSize={pageSize}
            total={agents.data.total}
            onPage={(next) => set({ page: next })}
            what="agents"
          />
        </>
      ) : null}
    </>
  );
}
