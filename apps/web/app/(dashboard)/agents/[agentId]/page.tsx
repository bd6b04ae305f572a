import { idSchema } from "@redflag/contracts";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { AgentDetailView } from "~/components/agent-detail-view";

export const metadata: Metadata = { title: "Agent" };

export default async function Page({ params }: { params: Promise<{ agentId: string }> }) {
  const agentId = idSchema("agent").safeParse((await params).agentId);
  if (!agentId.success) notFound();
  return <AgentDetailView agentId={agentId.data} />;
}
