"use client";

import { type CommandId, rollbackPackageTypes } from "@redflag/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { formatDateTime, formatElapsed, humanize, packageTypeLabel } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { isActive } from "./commands-table";
import { DryRunDependencies } from "./dry-run-dependencies";
import { RequireRole } from "./session";
import { Loading, MutationStatus, PageHeader, ProgressBar, QueryError, StatusBadge } from "./ui";

export function CommandDetailView({ commandId }: { commandId: CommandId }) {
  const trpc = useTRPC();
  const command = useQuery({
    ...trpc.commands.get.queryOptions({ commandId }),
    refetchInterval: (query) => (query.state.data && !isActive(query.state.data.status) ? 15_000 : 2000),
  });
  const agent = useQuery({
    ...trpc.agents.get.queryOptions({ agentId: command.data?.agentId ?? "" }),
    enabled: Boolean(command.data),
  });

  if (command.isPending) return <Loading what="the command" />;
  if (command.isError) {
    return (
      <>
        <PageHeader title="Command" />
        <QueryError error={command.error} retry={() => command.refetch()} />
      </>
    );
  }
  const data = command.data;
  const attempts = [...new Set(data.logs.map((log) => log.attempt))].sort((a, b) => a - b);
  const outcomes = new Map((data.itemOutcomes ?? []).map((outcome) => [outcome.updateId, outcome]));

  return (
    <>
      <PageHeader
        title={
          <>
            {humanize(data.type)} <StatusBadge value={data.status} />
          </>
        }
        description={
          <>
            <Link href="/commands">Commands</Link> / <span className="mono">{data.id}</span> on{" "}
            <Link href={`/agents/${data.agentId}`}>{agent.data?.hostname ?? data.agentId}</Link>
          </>
        }
      />
      <RequireRole atLeast="operator">
        <CommandActions command={data} />
      </RequireRole>
      <section className="card" aria-labelledby="timing-title">
        <h2 id="timing-title">Status and timings</h2>
        {isActive(data.status) && (data.status === "running" || data.progressPercent !== null) ? (
          <div className="progress-block">
            <ProgressBar percent={data.progressPercent} label="Command progress" />
            {data.progressMessage ? <span className="muted">{data.progressMessage}</span> : null}
          </div>
        ) : null}
        <dl className="facts">
          <Fact label="Attempt" value={`${data.attempt} of ${data.maxAttempts}`} />
          <Fact label="Created" value={formatDateTime(data.createdAt)} />
          <Fact label="Sent to agent" value={formatDateTime(data.sentAt)} />
          <Fact label="Started" value={formatDateTime(data.startedAt)} />
          <Fact label="Finished" value={formatDateTime(data.finishedAt)} />
          <Fact label="Took" value={formatElapsed(data.startedAt ?? data.sentAt, data.finishedAt)} />
          <Fact label="Exit code" value={data.exitCode === null ? "—" : String(data.exitCode)} />
          <Fact label="Lease expires" value={formatDateTime(data.leaseExpiresAt)} />
          {data.retryOf ? (
            <div>
              <dt>Retry of</dt>
              <dd>
                <Link href={`/commands/${data.retryOf}`} className="mono">
                  {data.retryOf}
                </Link>
              </dd>
            </div>
          ) : null}
          {typeof data.parameters.rollbackOf === "string" ? (
            <div>
              <dt>Rolls back</dt>
              <dd>
                <Link href={`/commands/${data.parameters.rollbackOf}`} className="mono">
                  {data.parameters.rollbackOf}
                </Link>
              </dd>
            </div>
          ) : null}
        </dl>
      </section>

      {data.targets.length > 0 ? (
        <section className="card" aria-labelledby="targets-title">
          <h2 id="targets-title">Updates</h2>
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Package</th>
                  <th scope="col">Type</th>
                  <th scope="col">Version</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {data.targets.map((target) => {
                  const outcome = outcomes.get(target.updateId);
                  return (
                    <tr key={target.updateId}>
                      <td>
                        {target.packageName}
                        {target.target ? <span className="muted"> ({target.target})</span> : null}
                      </td>
                      <td>{packageTypeLabel(target.packageType)}</td>
                      <td className="mono">
                        {data.type === "rollback"
                          ? `${target.availableVersion} → ${target.currentVersion ?? "?"}`
                          : `${target.currentVersion ?? "—"} → ${target.availableVersion}`}
                      </td>
                      <td>
                        {outcome ? (
                          <>
                            <StatusBadge
                              value={
                                outcome.status === "skipped"
                                  ? "cancelled"
                                  : outcome.status === "installed"
                                    ? "succeeded"
                                    : "failed"
                              }
                              label={humanize(outcome.status)}
                            />
                            {outcome.installedVersion ? (
                              <span className="mono"> {outcome.installedVersion}</span>
                            ) : null}
                            {outcome.message ? (
                              <div className="muted small-text">{outcome.message}</div>
                            ) : null}
                          </>
                        ) : (
                          <span className="muted">{isActive(data.status) ? "waiting" : "none reported"}</span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}

      {data.type === "dry_run" && !isActive(data.status) ? (
        <section className="card" aria-labelledby="dry-run-title">
          <h2 id="dry-run-title">What the install would change</h2>
          <DryRunDependencies result={data.result} output={data.output} />
        </section>
      ) : null}

      <section className="card" aria-labelledby="log-title">
        <h2 id="log-title">Log by attempt</h2>
        {attempts.length === 0 ? (
          <p className="muted">
            Nothing yet: the agent takes the command at its next check-in
            {agent.data ? ` (every ${agent.data.effectivePollIntervalSeconds} s)` : ""}.
          </p>
        ) : (
          attempts.map((attempt) => (
            <div key={attempt} className="attempt">
              <h3>Attempt {attempt}</h3>
              <ol className="log">
                {data.logs
                  .filter((log) => log.attempt === attempt)
                  .map((log) => (
                    <li key={log.id}>
                      <time className="muted mono" dateTime={log.createdAt.toISOString()}>
                        {formatDateTime(log.createdAt)}
                      </time>{" "}
                      <span className="log-kind">{humanize(log.kind)}</span>
                      {log.percent !== null && log.kind === "progress" ? ` ${Math.round(log.percent)}%` : ""}{" "}
                      {log.message}
                    </li>
                  ))}
              </ol>
            </div>
          ))
        )}
      </section>

      <section className="card" aria-labelledby="output-title">
        <h2 id="output-title">Output</h2>
        {data.output ? (
          <pre className="output">{data.output}</pre>
        ) : (
          <p className="muted">
            {isActive(data.status) ? "The agent has not reported a result yet." : "No output."}
          </p>
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

type CommandDetail = {
  id: CommandId;
  type: string;
  status: string;
  targets: { packageType: string; currentVersion: string | null }[];
};

function CommandActions({ command }: { command: CommandDetail }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.commands.pathKey() });
  const retry = useMutation(
    trpc.commands.retry.mutationOptions({
      onSuccess: async (created) => {
        await refresh();
        router.push(`/commands/${created.id}`);
      },
    }),
  );
  const cancel = useMutation(trpc.commands.cancel.mutationOptions({ onSuccess: refresh }));
  const rollback = useMutation(
    trpc.commands.rollback.mutationOptions({
      onSuccess: async (created) => {
        await refresh();
        router.push(`/commands/${created.id}`);
      },
    }),
  );
  const canRetry = ["failed", "timed_out", "cancelled"].includes(command.status);
  const canCancel = command.status === "pending" || command.status === "sent";
  const canRollback =
    command.type === "install" &&
    (command.status === "succeeded" || command.status === "failed") &&
    command.targets.some(
      (target) =>
        target.currentVersion !== null &&
        (rollbackPackageTypes as readonly string[]).includes(target.packageType),
    );
  if (!canRetry && !canCancel && !canRollback) return null;
  return (
    <section className="card actions-card" aria-label="Actions">
      <div className="action-row">
        {canRetry ? (
          <button
            type="button"
            className="button primary"
            disabled={retry.isPending}
            onClick={() => retry.mutate({ commandId: command.id })}
          >
            Retry
          </button>
        ) : null}
        {canCancel ? (
          <button
            type="button"
            className="button danger-outline"
            disabled={cancel.isPending}
            onClick={() => cancel.mutate({ commandId: command.id })}
          >
            Cancel
          </button>
        ) : null}
        {canRollback ? (
          <button
            type="button"
            className="button"
            disabled={rollback.isPending}
            onClick={() => rollback.mutate({ commandId: command.id })}
          >
            Roll back
          </button>
        ) : null}
      </div>
      <MutationStatus
        error={retry.error ?? cancel.error ?? rollback.error}
        success={cancel.isSuccess}
        successText="Cancelled."
      />
    </section>
  );
}
