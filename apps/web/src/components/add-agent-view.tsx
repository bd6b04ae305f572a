"use client";

import { useEffect, useState } from "react";
import { type AgentDownloads, AgentDownloadsCard } from "./add-agent-downloads";
import { InstallCommands } from "./add-agent-install";
import { type CreatedToken, CreateTokenForm } from "./add-agent-token-form";
import { RegistrationTokens } from "./registration-tokens-card";
import { useCan } from "./session";
import { PageHeader } from "./ui/basics";

/**
 * Add agent: create a registration token, then paste one command on the machine. `downloads` is
 * what this server built (dist/agents/manifest.json).
 */
export function AddAgentView({ downloads }: { downloads: AgentDownloads }) {
  const canCreate = useCan("operator");
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [server, setServer] = useState("");
  useEffect(() => setServer(window.location.origin), []);

  return (
    <>
      <PageHeader
        title="Add agent"
        description="Create a registration token, then run the install command on the machine. The agent only ever connects out to this server."
      />
      {canCreate ? (
        <CreateTokenForm onCreated={setCreated} />
      ) : (
        <p className="muted">Creating registration tokens needs the operator role.</p>
      )}
      {created ? <InstallCommands token={created} server={server} downloads={downloads} /> : null}
      <AgentDownloadsCard downloads={downloads} server={server} />
      <RegistrationTokens />
    </>
  );
}
