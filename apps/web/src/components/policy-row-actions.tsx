"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "~/trpc/react";
import { matchSummary } from "./policy-draft";
import type { PolicySummary } from "./policy-table";
import { ConfirmDialog } from "./ui/confirm-dialog";
import { Untrusted } from "./ui/text";

type Asking = "enable" | "disable" | "delete" | null;

/**
 * Enable, disable, edit, delete. Enabling an approve policy changes machines (what it approves is
 * installed in maintenance windows), and deleting lets go of what a hold policy holds: both ask first.
 */
export function PolicyRowActions({ policy, onEdit }: { policy: PolicySummary; onEdit: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState<Asking>(null);
  const refresh = {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.policies.list.queryKey() }),
  };
  const setEnabled = useMutation(trpc.policies.setEnabled.mutationOptions(refresh));
  const remove = useMutation(trpc.policies.delete.mutationOptions(refresh));
  const pending = asking === "delete" ? remove : setEnabled;
  const close = () => {
    pending.reset();
    setAsking(null);
  };
  const toggle = () => {
    // Turning on a hold policy, or off any policy, approves nothing: no question to ask.
    if (!policy.enabled && policy.action === "approve") setAsking("enable");
    else setEnabled.mutate({ policyId: policy.id, enabled: !policy.enabled });
  };
  return (
    <div className="action-row">
      <button type="button" className="button small" onClick={toggle} disabled={setEnabled.isPending}>
        {policy.enabled ? "Disable" : "Enable"}
      </button>
      <button type="button" className="button small" onClick={onEdit}>
        Edit
      </button>
      <button type="button" className="button small danger" onClick={() => setAsking("delete")}>
        Delete
      </button>
      {asking ? (
        <ConfirmDialog
          title={asking === "delete" ? "Delete this policy?" : "Enable this approve policy?"}
          confirmLabel={asking === "delete" ? "Delete policy" : "Enable policy"}
          tone={asking === "delete" ? "danger" : "primary"}
          pending={pending.isPending}
          error={pending.error}
          done={pending.isSuccess ? <p>Done.</p> : undefined}
          onConfirm={() =>
            asking === "delete"
              ? remove.mutate({ policyId: policy.id })
              : setEnabled.mutate({ policyId: policy.id, enabled: true })
          }
          onCancel={close}
        >
          <p>
            <Untrusted className="strong" text={policy.name} />: <Untrusted text={matchSummary(policy)} />.
          </p>
          {asking === "delete" ? (
            <p>
              {policy.action === "hold"
                ? "The updates it holds are set free: approve policies may approve them at their next run."
                : "What it approved stays approved; its rollouts are deleted."}
            </p>
          ) : (
            <p>
              From its next run (within a minute) it approves every available update it matches, and keeps
              doing so. Approved updates are installed on the hosts in their maintenance windows. Check the
              preview first.
            </p>
          )}
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
