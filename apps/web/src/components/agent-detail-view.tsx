"use client";

import type { AgentId } from "@redflag/contracts";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { isNotFound } from "~/trpc/errors";
import { useTRPC } from "~/trpc/react";
import { AgentActions } from "./agent-actions";
import { AgentFacts, AgentMetrics } from "./agent-facts";
import { AgentScansCard } from "./agent-scans-card";
import { AgentCommandsCard, AgentUpdatesCard } from "./agent-sections";
import { AgentWindowCard } from "./agent-window-card";
import { NotFound } from "./not-found";
import { RequireRole } from "./session";
import { Loading, PageHeader, QueryError, StatusBadge } from "./ui/basics";
import { Untrusted } from "./ui/text";

export function AgentDetailView({ agentId }: { agentId: AgentId }) {
  const trpc = useTRPC();
  const agent = useQuery({ ...trpc.agents.get.queryOptions({ agentId }), refetchInterval: 5000 });

  if (agent.isPending) return <Loading what="the agent" />;
  if (isNotFound(agent.error)) {
    return <NotFound what="agent" backHref="/agents" backLabel="all agents" />;
  }
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
  return (
    <>
      <PageHeader
        title={
          <>
            <Untrusted text={data.hostname} /> <StatusBadge value={data.online ? "online" : "offline"} />
            {data.rebootRequired ? <StatusBadge value="important" label="Reboot required" /> : null}
          </>
        }
        description={
          <>
            <Link href="/agents">Agents</Link> / <span className="mono">{data.id}</span>
          </>
        }
      />
      <RequireRole atLeast="operator">
        <AgentActions agent={data} />
      </RequireRole>
      <div className="grid-2">
        <AgentFacts agent={data} />
        <AgentMetrics agent={data} />
      </div>
      <AgentUpdatesCard agentId={data.id} />
      <AgentCommandsCard agentId={data.id} />
      <AgentWindowCard agentId={data.id} />
      <AgentScansCard scans={data.latestScans} />
    </>
  );
}
