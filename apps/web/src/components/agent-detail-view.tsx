"use client";

import { type AgentId, updateStatuses } from "@redflag/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import {
  formatBytes,
  formatCount,
  formatDateTime,
  formatDuration,
  formatRelative,
  humanize,
  packageTypeLabel,
} from "~/lib/format";
import { scannerErrorWords } from "~/lib/scanner-error-words";
import { useTRPC } from "~/trpc/react";
import { CommandsTable } from "./commands-table";
import { RequireRole, useCan } from "./session";
import { EmptyState, Loading, MutationStatus, PageHeader, QueryError, StatusBadge } from "./ui";

export function AgentDetailView({ agentId }: { agentId: AgentId }) {
  const trpc = useTRPC();
  const agent = useQuery({ ...trpc.agents.get.queryOptions({ agentId }), refetchInterval: 5000 });
  const updates = useQuery({
    ...trpc.updates.list.queryOptions({
      agentId,
      statuses: ["available", "approved", "installing", "failed"],
      sort: "severity",
      pageSize: 20,
    }),
    refetchInterval: 5000,
  });
  const commands = useQuery({
    ...trpc.commands.list.queryOptions({ agentId, pageSize: 10 }),
    refetchInterval: 5000,
  });

  if (agent.isPending) return <Loading what="the agent" />;
  if (agent.isError) {
    return (
      <>
        <PageHeader title="Agent" />
        <QueryError error={agent.error} retry={() => agent.refetch()} />
        <p>
          <Link href="/agents">Back to all agents</Link>
        </p>
      </>
    );
  }
  const data = agent.data;
  const metrics = data.metrics;

  return (
    <>
      <PageHeader
        title={
          <>
            {data.hostname} <StatusBadge value={data.online ? "online" : "offline"} />
            {data.rebootRequired ? <StatusBadge value="important" label="Reboot required" /> : null}
          </>
        }
        description={
          <>
            <Link href="/agents">Agents</Link> / {data.id}
          </>
        }
      />
      <RequireRole atLeast="operator">
        <AgentActions agentId={data.id} hostname={data.hostname} rapidModeUntil={data.rapidModeUntil} />
      </RequireRole>

      <div className="grid-2">
        <section className="card" aria-labelledby="facts-title">
          <h2 id="facts-title">System</h2>
          <dl className="facts">
            <Fact label="Operating system" value={`${data.osName} ${data.osVersion} (${data.osType})`} />
            <Fact label="Architecture" value={data.architecture} />
            <Fact label="Agent version" value={data.agentVersion} />
            <Fact label="Machine id" value={data.machineId} />
            <Fact label="Registered" value={formatDateTime(data.createdAt)} />
            <Fact
              label="Last check-in"
              value={`${formatRelative(data.lastCheckInAt)} (${formatDateTime(data.lastCheckInAt)})`}
            />
            <Fact label="Last scan" value={formatRelative(data.lastScanAt)} />
            <Fact
              label="Poll interval"
              value={`${formatDuration(data.effectivePollIntervalSeconds)}${data.pollIntervalSeconds === null ? " (server default)" : ""}`}
            />
            <Fact
              label="Rapid mode"
              value={
                data.rapidModeUntil && data.rapidModeUntil.getTime() > Date.now()
                  ? `until ${formatDateTime(data.rapidModeUntil)}`
                  : "off"
              }
            />
            <Fact label="Tags" value={data.tags.length ? data.tags.join(", ") : "none"} />
          </dl>
        </section>
        <section className="card" aria-labelledby="metrics-title">
          <h2 id="metrics-title">Latest metrics</h2>
          {Object.keys(metrics).length === 0 ? (
            <p className="muted">The agent has not reported metrics yet.</p>
          ) : (
            <dl className="facts">
              <Fact
                label="CPU"
                value={metrics.cpuPercent === undefined ? "—" : `${metrics.cpuPercent.toFixed(1)}%`}
              />
              <Fact
                label="Memory"
                value={
                  metrics.memoryTotalBytes
                    ? `${formatBytes(metrics.memoryUsedBytes)} of ${formatBytes(metrics.memoryTotalBytes)}`
                    : "—"
                }
              />
              <Fact
                label="Disk"
                value={
                  metrics.diskTotalBytes
                    ? `${formatBytes(metrics.diskUsedBytes)} of ${formatBytes(metrics.diskTotalBytes)}`
                    : "—"
                }
              />
              <Fact
                label="Uptime"
                value={metrics.uptimeSeconds === undefined ? "—" : formatDuration(metrics.uptimeSeconds)}
              />
              <Fact
                label="Load average"
                value={
                  metrics.loadAverage?.length
                    ? metrics.loadAverage.map((load) => load.toFixed(2)).join(" ")
                    : "—"
                }
              />
            </dl>
          )}
          <h3>Updates by status</h3>
          <ul className="status-counts">
            {updateStatuses.map((status) => (
              <li key={status}>
                <Link href={`/updates?agentId=${data.id}&status=${status}`}>
                  <StatusBadge value={status} /> {formatCount(data.updateCounts[status] ?? 0)}
                </Link>
              </li>
            ))}
          </ul>
        </section>
      </div>

      <section className="card" aria-labelledby="agent-updates-title">
        <div className="section-header">
          <h2 id="agent-updates-title">Open updates</h2>
          <Link href={`/updates?agentId=${data.id}`}>Manage these updates</Link>
        </div>
        {updates.isPending ? <Loading what="updates" /> : null}
        {updates.isError ? <QueryError error={updates.error} retry={() => updates.refetch()} /> : null}
        {updates.data && updates.data.items.length === 0 ? (
          <p className="muted">Nothing to install: this host is up to date (as of its last scan).</p>
        ) : null}
        {updates.data && updates.data.items.length > 0 ? (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Package</th>
                  <th scope="col">Type</th>
                  <th scope="col">Version</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {updates.data.items.map((update) => (
                  <tr key={update.id}>
                    <td>
                      {update.packageName}
                      {update.security ? <StatusBadge value="critical" label="Security" /> : null}
                    </td>
                    <td>{packageTypeLabel(update.packageType)}</td>
                    <td className="mono">
                      {update.currentVersion ?? "—"} → {update.availableVersion}
                    </td>
                    <td>
                      <StatusBadge value={update.severity} />
                    </td>
                    <td>
                      <StatusBadge value={update.status} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {updates.data.total > updates.data.items.length ? (
              <p className="muted">
                {formatCount(updates.data.total - updates.data.items.length)} more on the{" "}
                <Link href={`/updates?agentId=${data.id}`}>updates page</Link>.
              </p>
            ) : null}
          </div>
        ) : null}
      </section>

      <section className="card" aria-labelledby="agent-commands-title">
        <div className="section-header">
          <h2 id="agent-commands-title">Command history</h2>
          <Link href={`/commands?agentId=${data.id}`}>All commands of this agent</Link>
        </div>
        {commands.isPending ? <Loading what="commands" /> : null}
        {commands.isError ? <QueryError error={commands.error} retry={() => commands.refetch()} /> : null}
        {commands.data && commands.data.items.length === 0 ? <p className="muted">No commands yet.</p> : null}
        {commands.data && commands.data.items.length > 0 ? (
          <CommandsTable commands={commands.data.items} showHost={false} />
        ) : null}
      </section>

      <section className="card" aria-labelledby="scans-title">
        <h2 id="scans-title">Latest scans</h2>
        {data.latestScans.length === 0 ? (
          <EmptyState title="No scan reported yet">Use “Scan now” to ask for one.</EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Scanners</th>
                  <th scope="col" className="numeric">
                    New
                  </th>
                  <th scope="col" className="numeric">
                    Changed
                  </th>
                  <th scope="col" className="numeric">
                    Closed
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.latestScans.map((scan) => (
                  <tr key={scan.id}>
                    <td className="nowrap" title={formatDateTime(scan.receivedAt)}>
                      {formatRelative(scan.receivedAt)}
                    </td>
                    <td>
                      {scan.scanners.map((scanner) => (
                        <span key={scanner.packageType} className="scanner">
                          {packageTypeLabel(scanner.packageType)}{" "}
                          {scanner.status === "ok" ? (
                            <span className="muted">{formatCount(scanner.itemCount)} items</span>
                          ) : (
                            <span className="bad-text" title={scanner.error ?? undefined}>
                              {scannerErrorWords(scanner)}: {scanner.error}
                            </span>
                          )}
                        </span>
                      ))}
                    </td>
                    <td className="numeric">{scan.opened}</td>
                    <td className="numeric">{scan.changed}</td>
                    <td className="numeric">{scan.closed}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function AgentActions({
  agentId,
  hostname,
  rapidModeUntil,
}: {
  agentId: AgentId;
  hostname: string;
  rapidModeUntil: Date | null;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const canDelete = useCan("admin");
  const [minutes, setMinutes] = useState(15);
  const [pollInterval, setPollInterval] = useState("");
  const [confirmDelete, setConfirmDelete] = useState(false);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.agents.get.queryKey({ agentId }) }),
      queryClient.invalidateQueries({ queryKey: trpc.commands.list.queryKey() }),
    ]);
  const command = useMutation(trpc.agents.requestCommand.mutationOptions({ onSuccess: refresh }));
  const configure = useMutation(trpc.agents.configure.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(
    trpc.agents.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.agents.list.queryKey() });
        router.replace("/agents");
      },
    }),
  );
  const rapidActive = rapidModeUntil !== null && rapidModeUntil.getTime() > Date.now();

  function saveInterval(event: FormEvent) {
    event.preventDefault();
    const seconds = pollInterval.trim() === "" ? null : Number(pollInterval);
    configure.mutate({ agentId, pollIntervalSeconds: seconds });
  }

  return (
    <section className="card actions-card" aria-label="Actions">
      <div className="action-row">
        <button
          type="button"
          className="button"
          disabled={command.isPending}
          onClick={() => command.mutate({ agentId, type: "scan" })}
        >
          Scan now
        </button>
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            configure.mutate({ agentId, rapidModeMinutes: minutes });
          }}
        >
          <label className="field inline">
            <span>Rapid mode for</span>
            <input
              type="number"
              min={1}
              max={240}
              value={minutes}
              onChange={(event) => setMinutes(Number(event.target.value))}
              aria-label="Rapid mode minutes"
            />
            <span>min</span>
          </label>
          <button type="submit" className="button" disabled={configure.isPending}>
            Start rapid mode
          </button>
          {rapidActive ? (
            <button
              type="button"
              className="button"
              onClick={() => configure.mutate({ agentId, rapidModeMinutes: 0 })}
            >
              Stop rapid mode
            </button>
          ) : null}
        </form>
        <form className="inline-form" onSubmit={saveInterval}>
          <label className="field inline">
            <span>Poll interval</span>
            <input
              type="number"
              min={5}
              max={86_400}
              placeholder="default"
              value={pollInterval}
              onChange={(event) => setPollInterval(event.target.value)}
              aria-label="Poll interval in seconds (empty for the server default)"
            />
            <span>s</span>
          </label>
          <button type="submit" className="button" disabled={configure.isPending}>
            Set interval
          </button>
        </form>
        <button
          type="button"
          className="button"
          disabled={command.isPending}
          onClick={() => command.mutate({ agentId, type: "reboot" })}
        >
          Reboot
        </button>
        {canDelete ? (
          confirmDelete ? (
            <span className="confirm">
              Remove {hostname}? Its updates and history go too.{" "}
              <button
                type="button"
                className="button danger"
                disabled={remove.isPending}
                onClick={() => remove.mutate({ agentId })}
              >
                Remove agent
              </button>{" "}
              <button type="button" className="button" onClick={() => setConfirmDelete(false)}>
                Keep it
              </button>
            </span>
          ) : (
            <button type="button" className="button danger-outline" onClick={() => setConfirmDelete(true)}>
              Remove…
            </button>
          )
        ) : null}
      </div>
      <MutationStatus
        error={command.error ?? configure.error ?? remove.error}
        success={command.isSuccess || configure.isSuccess}
        successText={
          command.isSuccess
            ? `${humanize(command.data.type)} queued: the agent takes it at its next check-in.`
            : "Saved."
        }
      />
    </section>
  );
}
