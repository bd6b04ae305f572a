"use client";

import type { CommandId } from "@redflag/contracts";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatDateTime, formatElapsed, humanize } from "~/lib/format";
import { isNotFound } from "~/trpc/errors";
import { useTRPC } from "~/trpc/react";
import { CommandActions } from "./command-actions";
import { CommandLog, CommandTargets } from "./command-sections";
import { isActive } from "./commands-table";
import { DryRunDependencies } from "./dry-run-dependencies";
import { NotFound } from "./not-found";
import { RequireRole } from "./session";
import { SnapshotRollbackAction } from "./snapshot-rollback-action";
import { Loading, PageHeader, ProgressBar, QueryError, StatusBadge } from "./ui/basics";
import { Fact } from "./ui/facts";

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
  if (isNotFound(command.error))
    return <NotFound what="command" backHref="/commands" backLabel="all commands" />;
  if (command.isError) {
    return (
      <>
        <PageHeader title="Command" />
        <QueryError error={command.error} retry={() => command.refetch()} />
      </>
    );
  }
  const data = command.data;

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
        <CommandActions command={data} hostname={agent.data?.hostname ?? data.agentId} />
      </RequireRole>
      <RequireRole atLeast="admin">
        <SnapshotRollbackAction command={data} hostname={agent.data?.hostname ?? data.agentId} />
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

      {data.targets.length > 0 ? <CommandTargets command={data} /> : null}

      {data.type === "dry_run" && !isActive(data.status) ? (
        <section className="card" aria-labelledby="dry-run-title">
          <h2 id="dry-run-title">What the install would change</h2>
          <DryRunDependencies result={data.result} output={data.output} />
        </section>
      ) : null}

      <CommandLog command={data} pollIntervalSeconds={agent.data?.effectivePollIntervalSeconds ?? null} />
    </>
  );
}
