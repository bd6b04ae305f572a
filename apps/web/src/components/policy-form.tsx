"use client";

import type { PolicyId } from "@redflag/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "~/trpc/react";
import { draftOf, emptyPolicyForm, type PolicyFormState } from "./policy-draft";
import { PolicyMatchFields } from "./policy-match-fields";
import { PolicyPreview } from "./policy-preview";
import { PolicyStagesField } from "./policy-stages-field";
import { MutationStatus } from "./ui/basics";
import { ConfirmDialog } from "./ui/confirm-dialog";

/**
 * Creates or edits a policy, with what it would do now shown live beside it. A new policy is saved
 * disabled: it acts only once enabled (behind its own confirmation for an approve policy); changing an
 * enabled approve policy asks too, since its next run approves what it then matches.
 */
export function PolicyForm({
  policyId,
  enabled = false,
  initial = emptyPolicyForm,
  onDone,
}: {
  policyId?: PolicyId;
  enabled?: boolean;
  initial?: PolicyFormState;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState(initial);
  const [confirming, setConfirming] = useState(false);
  const options = {
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: trpc.policies.list.queryKey() });
      onDone();
    },
  };
  const create = useMutation(trpc.policies.create.mutationOptions(options));
  const update = useMutation(trpc.policies.update.mutationOptions(options));
  const saving = policyId ? update : create;
  const change = (patch: Partial<PolicyFormState>) => setForm((current) => ({ ...current, ...patch }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const policy = draftOf(form);
    if (policyId && enabled && policy.action === "approve") setConfirming(true);
    else if (policyId) update.mutate({ policyId, policy });
    else create.mutate({ policy, enabled: false });
  };

  return (
    <section className="card" aria-labelledby="policy-form-title">
      <h2 id="policy-form-title">{policyId ? `Edit ${initial.name}` : "New policy"}</h2>
      <div className="grid-2">
        <form className="form" onSubmit={submit} aria-label="Policy" style={{ minWidth: 0 }}>
          <label>
            Name
            <input
              value={form.name}
              required
              maxLength={100}
              onChange={(event) => change({ name: event.target.value })}
            />
          </label>
          <label>
            Action
            <select
              value={form.action}
              onChange={(event) => change({ action: event.target.value === "hold" ? "hold" : "approve" })}
            >
              <option value="approve">Approve</option>
              <option value="hold">Hold (never approved automatically)</option>
            </select>
          </label>
          <p className="hint">
            {form.action === "approve"
              ? "Approves only available updates: never a failed or rejected one (an admin dealt with it), nor one its host or a hold policy holds. Approved updates install in their host's maintenance window or when an admin installs them."
              : "Held updates are marked on the updates page and no approve policy touches them; admins can still approve them by hand."}
          </p>
          <PolicyMatchFields form={form} onChange={change} />
          {form.action === "approve" ? (
            <PolicyStagesField stages={form.stages} onChange={(stages) => change({ stages })} />
          ) : null}
          <div className="action-row">
            <button type="submit" className="button primary" disabled={saving.isPending}>
              {policyId ? "Save changes" : "Save policy"}
            </button>
            <button type="button" className="button" onClick={onDone}>
              Cancel
            </button>
          </div>
          <MutationStatus error={saving.error} success={false} />
        </form>
        <PolicyPreview form={form} />
      </div>
      {confirming && policyId ? (
        <ConfirmDialog
          title="Save this enabled approve policy?"
          confirmLabel="Save changes"
          pending={update.isPending}
          error={update.error}
          onConfirm={() => update.mutate({ policyId, policy: draftOf(form) })}
          onCancel={() => setConfirming(false)}
        >
          <p>
            Its next run (within a minute) approves every available update it then matches, as the preview
            shows; they are installed on the hosts in their maintenance windows.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
