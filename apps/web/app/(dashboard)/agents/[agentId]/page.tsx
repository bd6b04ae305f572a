import type { Metadata } from "next";
import { AgentDetailView } from "~/components/agent-detail-view";

export const metadata: Metadata = { title: "Agent" };

export default async function Page({ params }: { params: Promise<{ agentId: string }> }) {
  const { agentId } = await params;
  return <AgentDetailView agentId={agentId} />;
}
