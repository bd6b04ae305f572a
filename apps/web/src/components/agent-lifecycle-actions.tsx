"use client";

import { maxRebootDelaySeconds, maxRebootMessageLength } from "@redflag/contracts";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "~/trpc/react";
import type { AgentDetail } from "./agent-facts";
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

type DialogProps = { agent: AgentDetail; onQueued: () => void; onClose: () => void };

function RebootDialog({ agent, onQueued, onClose }: DialogProps) {
  const trpc = useTRPC();
  const [minutes, setMinutes] = useState(0);
  const [message, setMessage] = useState("");
  const reboot = useMutation(trpc.agents.requestCommand.mutationOptions({ onSuccess: onQueued }));
  const delaySeconds = Math.round(minutes * 60);
  return (
    <ConfirmDialog
      title={
        <>
          Reboot <Untrusted text={agent.hostname} />?
        </>
      }
      confirmLabel={delaySeconds > 0 ? `Reboot in ${minutes} min` : "Reboot now"}
      tone="danger"
      pending={reboot.isPending}
      error={reboot.error}
      done={
        reboot.isSuccess ? (
          <p role="status">Reboot queued: the agent reports it once the host has booted again.</p>
        ) : undefined
      }
      onConfirm={() =>
        reboot.mutate({
          agentId: agent.id,
          type: "reboot",
          reboot: { delaySeconds, ...(message.trim() ? { message: message.trim() } : {}) },
        })
      }
      onCancel={onClose}
    >
      <p>
        <Untrusted text={agent.hostname} /> takes the command at its next check-in and restarts
        {delaySeconds > 0 ? ` ${minutes} min later` : " at once"}: its services stop and logged-in users are
        disconnected. Refused while an install, rollback or agent update is queued or running there.
      </p>
      {agent.rebootReasons.length > 0 ? (
        <p>
          Needed for: <Untrusted text={agent.rebootReasons.join(", ")} />
        </p>
      ) : null}
      <label className="field">
        <span>Delay (minutes)</span>
        <input
          type="number"
          min={0}
          max={maxRebootDelaySeconds / 60}
          value={minutes}
          onChange={(event) => setMinutes(Math.max(0, Number(event.target.value) || 0))}
        />
      </label>
      <label className="field">
        <span>Message to logged-in users (optional)</span>
        <input
          type="text"
          maxLength={maxRebootMessageLength}
          value={message}
          onChange={(event) => setMessage(event.target.value)}
        />
      </label>
    </ConfirmDialog>
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
