import type { Metadata } from "next";
import { AddAgentView } from "~/components/add-agent-view";

export const metadata: Metadata = { title: "Add agent" };

export default function Page() {
  return <AddAgentView />;
}
