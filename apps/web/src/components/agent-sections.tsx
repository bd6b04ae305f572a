"use client";

import type { AgentId } from "@redflag/contracts";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatCount, packageTypeLabel } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { CommandsTable } from "./commands-table";
import { StatusBadge } from "./ui/basics";
import { type Column, DataTable } from "./ui/data-table";
import { QueryState } from "./ui/query-state";
import { Untrusted } from "./ui/text";
import { StatusCell } from "./update-cells";
import type { UpdateSummary } from "./updates-view";

const updateColumns: Column<UpdateSummary>[] = [
  {
    key: "package",
    header: "Package",
    cell: (update) => (
      <span className="package-line">
        <Untrusted text={update.packageName} />
        {update.security ? <StatusBadge value="critical" label="Security" /> : null}
      </span>
    ),
  },
  { key: "type", header: "Type", cell: (update) => packageTypeLabel(update.packageType) },
  {
    key: "version",
    header: "Version",
    className: "mono wrap",
    cell: (update) => (
      <>
        <bdi>{update.currentVersion ?? "—"}</bdi> → <bdi>{update.availableVersion}</bdi>
      </>
    ),
  },
  { key: "severity", header: "Severity", cell: (update) => <StatusBadge value={update.severity} /> },
  { key: "status", header: "Status", cell: StatusCell },
];

export function AgentUpdatesCard({ agentId }: { agentId: AgentId }) {
  const trpc = useTRPC();
  const updates = useQuery({
    ...trpc.updates.list.queryOptions({
      agentId,
      statuses: ["available", "approved", "installing", "failed"],
      sort: "severity",
      pageSize: 20,
    }),
    refetchInterval: 5000,
  });
  return (
    <section className="card" aria-labelledby="agent-updates-title">
      <div className="section-header">
        <h2 id="agent-updates-title">Open updates</h2>
        <Link href={`/updates?agentId=${agentId}`}>Manage these updates</Link>
      </div>
      <QueryState query={updates} what="updates">
        {(data) =>
          data.items.length === 0 ? (
            <p className="muted">Nothing to install: this host is up to date (as of its last scan).</p>
          ) : (
            <>
              <DataTable columns={updateColumns} rows={data.items} rowKey={(update) => update.id} />
              {data.total > data.items.length ? (
                <p className="muted">
                  {formatCount(data.total - data.items.length)} more on the{" "}
                  <Link href={`/updates?agentId=${agentId}`}>updates page</Link>.
                </p>
              ) : null}
            </>
          )
        }
      </QueryState>
    </section>
  );
}

export function AgentCommandsCard({ agentId }: { agentId: AgentId }) {
  const trpc = useTRPC();
  const commands = useQuery({
    ...trpc.commands.list.queryOptions({ agentId, pageSize: 10 }),
    refetchInterval: 5000,
  });
  return (
    <section className="card" aria-labelledby="agent-commands-title">
      <div className="section-header">
        <h2 id="agent-commands-title">Command history</h2>
        <Link href={`/commands?agentId=${agentId}`}>All commands of this agent</Link>
      </div>
      <QueryState query={commands} what="commands">
        {(data) =>
          data.items.length === 0 ? (
            <p className="muted">No commands yet.</p>
          ) : (
            <CommandsTable commands={data.items} showHost={false} />
          )
        }
      </QueryState>
    </section>
  );
}
