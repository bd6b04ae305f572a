"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react";
import { EntityRowActions } from "./entity-row-actions";
import { matchSummary } from "./policy-draft";
import type { PolicySummary } from "./policy-table";
import { Untrusted } from "./ui/text";

/**
 * Enabling an approve policy changes machines (what it approves is installed in maintenance windows),
 * and deleting lets go of what a hold policy holds: both ask first. Turning on a hold policy, or off any
 * policy, approves nothing: no question to ask.
 */
export function PolicyRowActions({ policy, onEdit }: { policy: PolicySummary; onEdit: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.policies.list.queryKey() }),
  };
  const setEnabled = useMutation(trpc.policies.setEnabled.mutationOptions(refresh));
  const remove = useMutation(trpc.policies.delete.mutationOptions(refresh));
  return (
    <EntityRowActions
      noun={{ title: policy.action === "approve" ? "approve policy" : "policy", button: "policy" }}
      enabled={policy.enabled}
      asks={(action) => action === "delete" || (action === "enable" && policy.action === "approve")}
      setEnabled={{ ...setEnabled, run: (enabled) => setEnabled.mutate({ policyId: policy.id, enabled }) }}
      remove={{ ...remove, run: () => remove.mutate({ policyId: policy.id }) }}
      onEdit={onEdit}
      describe={(action) => (
        <>
          <p>
            <Untrusted className="strong" text={policy.name} />: <Untrusted text={matchSummary(policy)} />.
          </p>
          {action === "delete" ? (
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
        </>
      )}
    />
  );
}
