"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "~/trpc/react";
import type { AgentDetail } from "./agent-facts";
import { type DialogProps, RebootDialog } from "./reboot-dialog";
import { ConfirmDialog } from "./ui/confirm-dialog";
import { Untrusted } from "./ui/text";

/**
 * Reboot and agent update, each behind a confirmation naming the host. The agent reports a reboot
 * once the host has booted again, and an update once the new version has checked in.
 */
export function AgentLifecycleActions({ agent, onQueued }: { agent: AgentDetail; onQueued: () => void }) {
  const [asking, setAsking] = useState<"reboot" | "update_agent" | null>(null);
  const updatable = agent.serverAgentVersion !== null && agent.serverAgentVersion !== agent.agentVersion;
  return (
    <>
      <button type="button" className="button" onClick={() => setAsking("reboot")}>
        Reboot…
      </button>
      {updatable ? (
        <button type="button" className="button" onClick={() => setAsking("update_agent")}>
          Update agent to {agent.serverAgentVersion}…
        </button>
      ) : null}
      {asking === "reboot" ? (
        <RebootDialog agent={agent} onQueued={onQueued} onClose={() => setAsking(null)} />
      ) : null}
      {asking === "update_agent" ? (
        <UpdateAgentDialog agent={agent} onQueued={onQueued} onClose={() => setAsking(null)} />
      ) : null}
    </>
  );
}

function UpdateAgentDialog({ agent, onQueued, onClose }: DialogProps) {
  const trpc = useTRPC();
  const update = useMutation(trpc.agents.requestCommand.mutationOptions({ onSuccess: onQueued }));
  return (
    <ConfirmDialog
      title={
        <>
          Update the agent on <Untrusted text={agent.hostname} />?
        </>
      }
      confirmLabel={`Update to ${agent.serverAgentVersion}`}
      pending={update.isPending}
      error={update.error}
      done={
        update.isSuccess ? (
          <p role="status">
            Update queued: it succeeds once agent {agent.serverAgentVersion} has checked in.
          </p>
        ) : undefined
      }
      onConfirm={() => update.mutate({ agentId: agent.id, type: "update_agent" })}
      onCancel={onClose}
    >
      <p>
        The agent on <Untrusted text={agent.hostname} /> downloads agent {agent.serverAgentVersion} from this
        server (it runs {agent.agentVersion}), checks its signature and checksum, tries it, and restarts into
        it. If the new agent does not come up, the previous one is put back and the command fails with why.
        Packages on the host are not touched.
      </p>
    </ConfirmDialog>
  );
}
