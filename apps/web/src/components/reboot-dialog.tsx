"use client";

import { maxRebootDelaySeconds, maxRebootMessageLength } from "@redflag/contracts";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "~/trpc/react";
import type { AgentDetail } from "./agent-facts";
import { ConfirmDialog } from "./ui/confirm-dialog";
import { Untrusted } from "./ui/text";

/** The agent page's dialogs that queue a command for the host. */
export type DialogProps = { agent: AgentDetail; onQueued: () => void; onClose: () => void };

/** Asks before a reboot, naming the host, with an optional delay and a message for its users. */
export function RebootDialog({ agent, onQueued, onClose }: DialogProps) {
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
