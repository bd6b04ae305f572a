"use client";

import { commandStatuses, commandTypes } from "@redflag/contracts";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { oneOf, pageOf, useUrlState } from "~/lib/search-params";
import { useTRPC } from "~/trpc/react";
import { CommandsTable, isActive } from "./commands-table";
import { EmptyState, Loading, PageHeader, Pagination, QueryError } from "./ui/basics";
import { EnumFilter } from "./ui/enum-filter";
import { Untrusted } from "./ui/text";

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
        <EnumFilter
          label="Status"
          value={status}
          options={commandStatuses}
          onChange={(value) => set({ status: value, page: null })}
        />
        <EnumFilter
          label="Type"
          value={type}
          options={commandTypes}
          onChange={(value) => set({ type: value, page: null })}
        />
        {agentId ? (
          <button type="button" className="chip" onClick={() => set({ agentId: null, page: null })}>
            Agent: <Untrusted text={agent.data?.hostname ?? agentId} /> <span aria-hidden="true">×</span>
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
