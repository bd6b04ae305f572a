"use client";

import {
  type listUpdatesOutput,
  packageTypes,
  severities,
  type UpdateStatus,
  updateStatuses,
  updateWords,
} from "@redflag/contracts";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import type { z } from "zod";
import {
  formatBytes,
  formatCount,
  formatDateTime,
  formatRelative,
  humanize,
  packageTypeLabel,
} from "~/lib/format";
import { oneOf, pageOf, useUrlState } from "~/lib/search-params";
import { useTRPC } from "~/trpc/react";
import { InstallDialog } from "./install-dialog";
import { SearchInput } from "./search-input";
import { useCan } from "./session";
import {
  EmptyState,
  Loading,
  MutationStatus,
  PageHeader,
  Pagination,
  QueryError,
  SortHeader,
  StatusBadge,
} from "./ui";

export type UpdateSummary = z.infer<typeof listUpdatesOutput>["items"][number];

const sorts = ["packageName", "severity", "firstSeenAt", "hostname"] as const;
const statusChoices = ["waiting", "all", ...updateStatuses] as const;
const pageSize = 50;

function statusesOf(choice: (typeof statusChoices)[number]): UpdateStatus[] | undefined {
  if (choice === "all") return undefined;
  if (choice === "waiting") return ["available", "approved"];
  return [choice];
}

export function UpdatesView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canChange = useCan("operator");
  const { params, set } = useUrlState();
  const agentId = params.get("agentId") ?? undefined;
  const statusChoice = oneOf(params.get("status"), statusChoices, "waiting");
  const severity = oneOf(params.get("severity"), severities);
  const packageType = oneOf(params.get("packageType"), packageTypes);
  const security = oneOf(params.get("security"), ["true", "false"] as const);
  const search = params.get("search") ?? "";
  const sort = oneOf(params.get("sort"), sorts, "packageName");
  const direction = oneOf(params.get("direction"), ["asc", "desc"] as const, "asc");
  const page = pageOf(params);
  const input = {
    agentId,
    statuses: statusesOf(statusChoice),
    severities: severity ? [severity] : undefined,
    packageTypes: packageType ? [packageType] : undefined,
    security: security === undefined ? undefined : security === "true",
    search: search || undefined,
    sort,
    direction,
    page,
    pageSize,
  };
  const updates = useQuery({
    ...trpc.updates.list.queryOptions(input),
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
  });
  const agent = useQuery({
    ...trpc.agents.get.queryOptions({ agentId: agentId ?? "" }),
    enabled: Boolean(agentId),
  });

  const [selected, setSelected] = useState<Map<string, UpdateSummary>>(new Map());
  const [installing, setInstalling] = useState<UpdateSummary[] | null>(null);
  const filterKey = JSON.stringify({ ...input, page: undefined });
  // A new filter shows other rows: what was selected under the old one is no longer in view.
  // biome-ignore lint/correctness/useExhaustiveDependencies: filterKey is the trigger
  useEffect(() => setSelected(new Map()), [filterKey]);

  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.updates.list.queryKey() });
  const approve = useMutation(
    trpc.updates.approve.mutationOptions({
      onSuccess: () => Promise.all([refresh(), setSelected(new Map())]),
    }),
  );
  const reject = useMutation(
    trpc.updates.reject.mutationOptions({
      onSuccess: () => Promise.all([refresh(), setSelected(new Map())]),
    }),
  );
  const [lastAction, setLastAction] = useState<string | null>(null);

  const items = updates.data?.items ?? [];
  const allOnPage = items.length > 0 && items.every((item) => selected.has(item.id));
  const someOnPage = items.some((item) => selected.has(item.id));
  const selectedRows = useMemo(() => [...selected.values()], [selected]);
  const filtered = Boolean(
    agentId || severity || packageType || security || search || statusChoice !== "waiting",
  );

  function toggle(update: UpdateSummary) {
    setSelected((current) => {
      const next = new Map(current);
      if (next.has(update.id)) next.delete(update.id);
      else next.set(update.id, update);
      return next;
    });
  }
  function toggleAll() {
    setSelected((current) => {
      const next = new Map(current);
      if (allOnPage) for (const item of items) next.delete(item.id);
      else for (const item of items) next.set(item.id, item);
      return next;
    });
  }

  return (
    <>
      <PageHeader
        title="Updates"
        description="What the agents reported; select updates to approve, reject or install."
      />
      <section className="filters" aria-label="Filters">
        <SearchInput
          label="Search"
          placeholder="Package or hostname"
          value={search}
          onSearch={(value) => set({ search: value, page: null })}
        />
        <label className="field">
          <span>Status</span>
          <select
            value={statusChoice}
            onChange={(event) =>
              set({ status: event.target.value === "waiting" ? null : event.target.value, page: null })
            }
          >
            <option value="waiting">Waiting (available, approved)</option>
            <option value="all">Any</option>
            {updateStatuses.map((status) => (
              <option key={status} value={status}>
                {humanize(status)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Severity</span>
          <select
            value={severity ?? ""}
            onChange={(event) => set({ severity: event.target.value, page: null })}
          >
            <option value="">Any</option>
            {severities.map((value) => (
              <option key={value} value={value}>
                {humanize(value)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Type</span>
          <select
            value={packageType ?? ""}
            onChange={(event) => set({ packageType: event.target.value, page: null })}
          >
            <option value="">Any</option>
            {packageTypes.map((value) => (
              <option key={value} value={value}>
                {packageTypeLabel(value)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Security</span>
          <select
            value={security ?? ""}
            onChange={(event) => set({ security: event.target.value, page: null })}
          >
            <option value="">Any</option>
            <option value="true">Security only</option>
            <option value="false">Not security</option>
          </select>
        </label>
        {agentId ? (
          <button type="button" className="chip" onClick={() => set({ agentId: null, page: null })}>
            Agent: {agent.data?.hostname ?? agentId} <span aria-hidden="true">×</span>
          </button>
        ) : null}
      </section>

      {canChange && selected.size > 0 ? (
        <section className="bulk-bar" aria-label="Selected updates">
          <strong>{formatCount(selected.size)} selected</strong>
          <button
            type="button"
            className="button"
            disabled={approve.isPending}
            onClick={() => {
              setLastAction("approve");
              approve.mutate({ updateIds: [...selected.keys()] });
            }}
          >
            Approve
          </button>
          <button
            type="button"
            className="button"
            disabled={reject.isPending}
            onClick={() => {
              setLastAction("reject");
              reject.mutate({ updateIds: [...selected.keys()] });
            }}
          >
            Reject
          </button>
          <button type="button" className="button primary" onClick={() => setInstalling(selectedRows)}>
            Install…
          </button>
          <button type="button" className="button link" onClick={() => setSelected(new Map())}>
            Clear selection
          </button>
        </section>
      ) : null}
      <MutationStatus
        error={approve.error ?? reject.error}
        success={
          (lastAction === "approve" && approve.isSuccess) || (lastAction === "reject" && reject.isSuccess)
        }
        successText={
          lastAction === "approve"
            ? `Approved ${plural(approve.data?.changed ?? 0)}.`
            : `Rejected ${plural(reject.data?.changed ?? 0)}.`
        }
      />

      {updates.isPending ? <Loading what="updates" /> : null}
      {updates.isError ? <QueryError error={updates.error} retry={() => updates.refetch()} /> : null}
      {updates.data && updates.data.total === 0 ? (
        filtered ? (
          <EmptyState title="No update matches these filters">
            <Link href="/updates">Clear the filters</Link> to see every waiting update.
          </EmptyState>
        ) : (
          <EmptyState title="Nothing waiting">
            Every host is up to date as of its last scan. Agents report new updates after each scan.
          </EmptyState>
        )
      ) : null}
      {updates.data && updates.data.total > 0 ? (
        <>
          <div className="table-wrap" aria-busy={updates.isFetching}>
            <table className="table">
              <thead>
                <tr>
                  {canChange ? (
                    <th scope="col" className="check">
                      <input
                        type="checkbox"
                        aria-label="Select every update on this page"
                        checked={allOnPage}
                        ref={(element) => {
                          if (element) element.indeterminate = someOnPage && !allOnPage;
                        }}
                        onChange={toggleAll}
                      />
                    </th>
                  ) : null}
                  <SortHeader
                    label="Package"
                    column="packageName"
                    sort={sort}
                    direction={direction}
                    onSort={(column, next) => set({ sort: column, direction: next, page: null })}
                  />
                  <SortHeader
                    label="Host"
                    column="hostname"
                    sort={sort}
                    direction={direction}
                    onSort={(column, next) => set({ sort: column, direction: next, page: null })}
                  />
                  <th scope="col">Type</th>
                  <th scope="col">Version</th>
                  <SortHeader
                    label="Severity"
                    column="severity"
                    sort={sort}
                    direction={direction}
                    onSort={(column, next) => set({ sort: column, direction: next, page: null })}
                  />
                  <th scope="col">Status</th>
                  <SortHeader
                    label="First seen"
                    column="firstSeenAt"
                    sort={sort}
                    direction={direction}
                    onSort={(column, next) => set({ sort: column, direction: next, page: null })}
                  />
                </tr>
              </thead>
              <tbody>
                {items.map((update) => {
                  const words = updateWords(update);
                  return (
                    <tr key={update.id} className={selected.has(update.id) ? "selected" : undefined}>
                      {canChange ? (
                        <td className="check">
                          <input
                            type="checkbox"
                            aria-label={`Select ${update.packageName} on ${update.hostname}`}
                            checked={selected.has(update.id)}
                            onChange={() => toggle(update)}
                          />
                        </td>
                      ) : null}
                      <td>
                        <span className="strong">{words.name}</span>
                        {update.security ? <StatusBadge value="critical" label="Security" /> : null}
                        {words.detail ? <div className="muted small-text">{words.detail}</div> : null}
                        {update.cves.length > 0 ? (
                          <div className="muted small-text" title={update.cves.join(", ")}>
                            {update.cves.slice(0, 3).join(", ")}
                            {update.cves.length > 3 ? ` +${update.cves.length - 3}` : ""}
                          </div>
                        ) : null}
                      </td>
                      <td>
                        <Link href={`/agents/${update.agentId}`}>{update.hostname}</Link>
                      </td>
                      <td>{packageTypeLabel(update.packageType)}</td>
                      <td className="mono" title={update.source ?? undefined}>
                        {words.currentVersion ?? "—"} → {words.availableVersion}
                        {update.sizeBytes ? (
                          <div className="muted small-text">{formatBytes(update.sizeBytes)}</div>
                        ) : null}
                      </td>
                      <td>
                        <StatusBadge value={update.severity} />
                      </td>
                      <td>
                        <StatusBadge value={update.status} />
                        {update.lastCommandId ? (
                          <div className="small-text">
                            <Link href={`/commands/${update.lastCommandId}`}>last command</Link>
                          </div>
                        ) : null}
                      </td>
                      <td className="nowrap" title={formatDateTime(update.firstSeenAt)}>
                        {formatRelative(update.firstSeenAt)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <Pagination
            page={page}
            pageSize={pageSize}
            total={updates.data.total}
            onPage={(next) => set({ page: next })}
            what="updates"
          />
        </>
      ) : null}
      {installing ? (
        <InstallDialog
          updates={installing}
          onClose={() => setInstalling(null)}
          onInstalled={() => {
            setSelected(new Map());
            void refresh();
          }}
        />
      ) : null}
    </>
  );
}

function plural(count: number): string {
  return `${formatCount(count)} update${count === 1 ? "" : "s"}`;
}
