"use client";

import type { listAgentsOutput } from "@redflag/contracts";
import Link from "next/link";
import type { ReactNode } from "react";
import type { z } from "zod";
import { formatCount, formatDateTime, formatRelative } from "~/lib/format";
import { StatusBadge } from "./ui/basics";
import { type Column, DataTable } from "./ui/data-table";
import { Untrusted } from "./ui/text";

type AgentSummary = z.infer<typeof listAgentsOutput>["items"][number];
export const agentSorts = ["hostname", "lastCheckInAt", "createdAt"] as const;
type Sort = (typeof agentSorts)[number];

export function AgentsTable({
  agents,
  busy,
  sortHeader,
  onTag,
}: {
  agents: AgentSummary[];
  busy: boolean;
  sortHeader: (label: string, column: Sort) => ReactNode;
  onTag: (tag: string) => void;
}) {
  const columns: Column<AgentSummary>[] = [
    {
      key: "hostname",
      header: null,
      headerCell: sortHeader("Hostname", "hostname"),
      cell: (agent) => (
        <Link href={`/agents/${agent.id}`} className="strong-link">
          <Untrusted text={agent.hostname} />
        </Link>
      ),
    },
    { key: "os", header: "OS", cell: (agent) => <Untrusted text={`${agent.osName} ${agent.osVersion}`} /> },
    { key: "arch", header: "Arch", cell: (agent) => agent.architecture },
    { key: "agent", header: "Agent", cell: (agent) => agent.agentVersion },
    {
      key: "checkIn",
      header: null,
      headerCell: sortHeader("Last check-in", "lastCheckInAt"),
      className: "nowrap",
      cell: (agent) => (
        <span title={formatDateTime(agent.lastCheckInAt)}>{formatRelative(agent.lastCheckInAt)}</span>
      ),
    },
    {
      key: "status",
      header: "Status",
      cell: (agent) => (
        <>
          <StatusBadge value={agent.online ? "online" : "offline"} />
          {agent.rebootRequired ? <StatusBadge value="important" label="Reboot" /> : null}
        </>
      ),
    },
    {
      key: "pending",
      header: "Pending",
      className: "numeric",
      cell: (agent) =>
        agent.pendingUpdates > 0 ? (
          <Link href={`/updates?agentId=${agent.id}`}>{formatCount(agent.pendingUpdates)}</Link>
        ) : (
          "0"
        ),
    },
    {
      key: "security",
      header: "Security",
      className: "numeric",
      cell: (agent) =>
        agent.securityUpdates > 0 ? (
          <span className="bad-text">{formatCount(agent.securityUpdates)}</span>
        ) : (
          "0"
        ),
    },
    {
      key: "tags",
      header: "Tags",
      cell: (agent) =>
        agent.tags.map((name) => (
          <button key={name} type="button" className="tag" onClick={() => onTag(name)}>
            <Untrusted text={name} />
          </button>
        )),
    },
  ];
  return (
    <DataTable columns={columns} rows={agents} rowKey={(agent) => agent.id} busy={busy} caption="Agents" />
  );
}
