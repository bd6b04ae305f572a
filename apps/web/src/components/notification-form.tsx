"use client";

import { type NotificationKind, type NotificationTarget, notificationKinds } from "@redflag/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "~/trpc/react";
import { NotificationAudienceFields } from "./notification-audience-fields";
import {
  configFields,
  draftOf,
  emptyTargetForm,
  formOf,
  kindLabels,
  secretFields,
  type TargetFormState,
} from "./notification-draft";
import { NotificationField } from "./notification-fields";
import { PolicyCheckOption } from "./policy-check-option";
import { MutationStatus } from "./ui/basics";

/** Adds a target or edits one (its kind stays; its secrets are write-only). */
export function NotificationForm({ target, onDone }: { target?: NotificationTarget; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<TargetFormState>(target ? formOf(target) : emptyTargetForm("ntfy"));
  const options = {
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: trpc.notifications.targets.queryKey() });
      onDone();
    },
  };
  const create = useMutation(trpc.notifications.create.mutationOptions(options));
  const update = useMutation(trpc.notifications.update.mutationOptions(options));
  const saving = target ? update : create;
  const change = (patch: Partial<TargetFormState>) => setForm((current) => ({ ...current, ...patch }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (target) update.mutate({ id: target.id, target: draftOf(form) });
    else create.mutate({ target: draftOf(form) });
  };
  return (
    <section className="card" aria-labelledby="notification-form-title">
      <h2 id="notification-form-title">{target ? `Edit ${target.name}` : "New notification target"}</h2>
      <form className="form" onSubmit={submit} aria-label="Notification target" style={{ maxWidth: "40rem" }}>
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
          Kind
          <select
            value={form.kind}
            disabled={Boolean(target)}
            onChange={(event) =>
              setForm({
                ...emptyTargetForm(event.target.value as NotificationKind),
                name: form.name,
                events: form.events,
                tags: form.tags,
              })
            }
          >
            {notificationKinds.map((kind) => (
              <option key={kind} value={kind}>
                {kindLabels[kind]}
              </option>
            ))}
          </select>
        </label>
        {configFields[form.kind].map((field) => (
          <NotificationField
            key={field.name}
            field={field}
            value={form.config[field.name] ?? ""}
            onChange={(value) => change({ config: { ...form.config, [field.name]: value } })}
          />
        ))}
        {secretFields[form.kind].map((field) => (
          <NotificationField
            key={field.name}
            field={field}
            value={form.secrets[field.name] ?? ""}
            saved={target?.secretsSet.includes(field.name) ?? false}
            onChange={(value) => change({ secrets: { ...form.secrets, [field.name]: value } })}
          />
        ))}
        <NotificationAudienceFields form={form} onChange={change} />
        <PolicyCheckOption
          label="Enabled"
          checked={form.enabled}
          onChange={(on) => change({ enabled: on })}
        />
        <div className="action-row">
          <button type="submit" className="button primary" disabled={saving.isPending}>
            {target ? "Save changes" : "Save target"}
          </button>
          <button type="button" className="button" onClick={onDone}>
            Cancel
          </button>
        </div>
        <MutationStatus error={saving.error} success={false} />
      </form>
    </section>
  );
}
