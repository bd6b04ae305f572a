"use client";

import { osTypes } from "@redflag/contracts";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatCount, formatDateTime, formatRelative } from "~/lib/format";
import { oneOf, pageOf, useUrlState } from "~/lib/search-params";
import { useTRPC } from "~/trpc/react";
import { SearchInput } from "./search-input";
import { RequireRole } from "./session";
import { EmptyState, Loading, PageHeader, Pagination, QueryError, SortHeader, StatusBadge } from "./ui";

const sorts = ["hostname", "lastCheckInAt", "createdAt"] as const;
const pageSize = 50;

export function AgentsView() {
  const trpc = useTRPC();
  const { params, set } = useUrlState();
  const search = params.get("search") ?? "";
  const presence = oneOf(params.get("presence"), ["online", "offline"] as const);
  const osType = oneOf(params.get("os"), osTypes);
  const tag = params.get("tag") ?? undefined;
  const sort = oneOf(params.get("sort"), sorts, "hostname");
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
        <label className="field">
          <span>Status</span>
          <select
            value={presence ?? ""}
            onChange={(event) => set({ presence: event.target.value, page: null })}
          >
            <option value="">Any</option>
            <option value="online">Online</option>
            <option value="offline">Offline</option>
          </select>
        </label>
        <label className="field">
          <span>OS</span>
          <select value={osType ?? ""} onChange={(event) => set({ os: event.target.value, page: null })}>
            <option value="">Any</option>
            {osTypes.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        </label>
        {tag ? (
          <button type="button" className="chip" onClick={() => set({ tag: null, page: null })}>
            Tag: {tag} <span aria-hidden="true">×</span>
          </button>
        ) : null}
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
          <div className="table-wrap" aria-busy={agents.isFetching}>
            <table className="table">
              <caption className="visually-hidden">Agents, sorted by {sort}</caption>
              <thead>
                <tr>
                  <SortHeader
                    label="Hostname"
                    column="hostname"
                    sort={sort}
                    direction={direction}
                    onSort={(column, next) => set({ sort: column, direction: next, page: null })}
                  />
                  <th scope="col">OS</th>
                  <th scope="col">Arch</th>
                  <th scope="col">Agent</th>
                  <SortHeader
                    label="Last check-in"
                    column="lastCheckInAt"
                    sort={sort}
                    direction={direction}
                    onSort={(column, next) => set({ sort: column, direction: next, page: null })}
                  />
                  <th scope="col">Status</th>
                  <th scope="col" className="numeric">
                    Pending
                  </th>
                  <th scope="col" className="numeric">
                    Security
                  </th>
                  <th scope="col">Tags</th>
                </tr>
              </thead>
              <tbody>
                {agents.data.items.map((agent) => (
                  <tr key={agent.id}>
                    <td>
                      <Link href={`/agents/${agent.id}`} className="strong-link">
                        {agent.hostname}
                      </Link>
                    </td>
                    <td>
                      {agent.osName} {agent.osVersion}
                    </td>
                    <td>{agent.architecture}</td>
                    <td>{agent.agentVersion}</td>
                    <td className="nowrap" title={formatDateTime(agent.lastCheckInAt)}>
                      {formatRelative(agent.lastCheckInAt)}
                    </td>
                    <td>
                      <StatusBadge value={agent.online ? "online" : "offline"} />
                      {agent.rebootRequired ? <StatusBadge value="important" label="Reboot" /> : null}
                    </td>
                    <td className="numeric">
                      {agent.pendingUpdates > 0 ? (
                        <Link href={`/updates?agentId=${agent.id}`}>{formatCount(agent.pendingUpdates)}</Link>
                      ) : (
                        "0"
                      )}
                    </td>
                    <td className="numeric">
                      {agent.securityUpdates > 0 ? (
                        <span className="bad-text">{formatCount(agent.securityUpdates)}</span>
                      ) : (
                        "0"
                      )}
                    </td>
                    <td>
                      {agent.tags.map((name) => (
                        <button
                          key={name}
                          type="button"
                          className="tag"
                          onClick={() => set({ tag: name, page: null })}
                        >
                          {name}
                        </button>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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
