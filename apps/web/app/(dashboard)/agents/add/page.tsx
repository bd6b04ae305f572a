import type { Metadata } from "next";
import { AddAgentView } from "~/components/add-agent-view";
import { readAgentManifest } from "~/server/agent-manifest";

export const metadata: Metadata = { title: "Add agent" };
// What was built is read per request: a rebuild shows without restarting the server.
export const dynamic = "force-dynamic";

export default function Page() {
  const read = readAgentManifest();
  const downloads =
    "problem" in read
      ? { problem: read.problem }
      : { files: read.manifest.files, version: read.manifest.version };
  return <AddAgentView downloads={downloads} />;
}
