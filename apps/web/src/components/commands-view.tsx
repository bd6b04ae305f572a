"use client";

import { commandStatuses, commandTypes } from "@redflag/contracts";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { humanize } from "~/lib/format";
import { oneOf, pageOf, useUrlState } from "~/lib/search-params";
import { useTRPC } from "~/trpc/react";
import { CommandsTable, isActive } from "./commands-table";
import { EmptyState, Loading, PageHeader, Pagination, QueryError } from "./ui/basics";

const pageSize = 50;

export function CommandsView() {
  const trpc = useTRPC();
  const { params, set } = useUrlState();
  const status = oneOf(params.get("status"), commandStatuses);
  const type = oneOf(params.get("type"), commandTypes);
  const agentId = params.get("agentId") ?? undefined;
  const page = pageOf(params);
  const commands = useQuery({
    ...trpc.commands.list.queryOptions({
      agentId,
      statuses: status ? [status] : undefined,
      types: type ? [type] : undefined,
      page,
      pageSize,
    }),
    placeholderData: keepPreviousData,
    // Faster while something is under way, so progress moves.
    refetchInterval: (query) =>
      query.state.data?.items.some((command) => isActive(command.status)) ? 2000 : 10_000,
  });
  const agent = useQuery({
    ...trpc.agents.get.queryOptions({ agentId: agentId ?? "" }),
    enabled: Boolean(agentId),
  });

  return (
    <>
      <PageHeader
        title="Commands"
        description="Everything sent to the agents, newest first; running commands show their progress."
      />
      <div className="filters">
        <label className="field">
          <span>Status</span>
          <select value={status ?? ""} onChange={(event) => set({ status: event.target.value, page: null })}>
            <option value="">Any</option>
            {commandStatuses.map((value) => (
              <option key={value} value={value}>
                {humanize(value)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Type</span>
          <select value={type ?? ""} onChange={(event) => set({ type: event.target.value, page: null })}>
            <option value="">Any</option>
            {commandTypes.map((value) => (
              <option key={value} value={value}>
                {humanize(value)}
              </option>
            ))}
          </select>
        </label>
        {agentId ? (
          <button type="button" className="chip" onClick={() => set({ agentId: null, page: null })}>
            Agent: {agent.data?.hostname ?? agentId} <span aria-hidden="true">×</span>
          </button>
        ) : null}
      </div>
      {commands.isPending ? <Loading what="commands" /> : null}
      {commands.isError ? <QueryError error={commands.error} retry={() => commands.refetch()} /> : null}
      {commands.data && commands.data.total === 0 ? (
        <EmptyState
          title={status || type || agentId ? "No command matches these filters" : "No commands yet"}
        >
          Commands appear here when you install updates, ask for a scan or reboot a host.
        </EmptyState>
      ) : null}
      {commands.data && commands.data.total > 0 ? (
        <>
          <CommandsTable commands={commands.data.items} />
          <Pagination
            page={page}
            pageSize={pageSize}
            total={commands.data.total}
            onPage={(next) => set({ page: next })}
            what="commands"
          />
        </>
      ) : null}
    </>
  );
}
