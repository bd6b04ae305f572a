"use client";

import type { MaintenanceWindowId } from "@redflag/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "~/trpc/react";
import { MutationStatus } from "./ui/basics";
import { draftOf, emptyWindowForm, type WindowFormState } from "./window-draft";
import { WindowActionFields, WindowTimingFields } from "./window-fields";
import { WindowSchedulePreview } from "./window-schedule-preview";

/**
 * Creates or edits a window, with its next openings shown beside it. A new window is saved
 * disabled: it installs nothing until enabled, behind its own confirmation.
 */
export function WindowForm({
  windowId,
  enabled = false,
  initial,
  onDone,
}: {
  windowId?: MaintenanceWindowId;
  enabled?: boolean;
  initial?: WindowFormState;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState(() => initial ?? emptyWindowForm());
  const options = {
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: trpc.maintenanceWindows.list.queryKey() });
      onDone();
    },
  };
  const create = useMutation(trpc.maintenanceWindows.create.mutationOptions(options));
  const update = useMutation(trpc.maintenanceWindows.update.mutationOptions(options));
  const saving = windowId ? update : create;
  const change = (patch: Partial<WindowFormState>) => setForm((current) => ({ ...current, ...patch }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (windowId) update.mutate({ windowId, ...draftOf(form, enabled) });
    else create.mutate(draftOf(form, false));
  };
  return (
    <section className="card" aria-labelledby="window-form-title">
      <h2 id="window-form-title">
        {windowId ? `Edit ${initial?.name ?? "window"}` : "New maintenance window"}
      </h2>
      <div className="grid-2">
        <form className="form" onSubmit={submit} aria-label="Maintenance window">
          <label>
            Name
            <input
              value={form.name}
              required
              maxLength={100}
              onChange={(event) => change({ name: event.target.value })}
            />
          </label>
          <WindowTimingFields form={form} onChange={change} />
          <WindowActionFields form={form} onChange={change} />
          <p className="hint">
            Approved updates of the hosts in a window are installed only while it is open: nothing else
            installs them on its own. Work not done when it closes waits for the next opening.
          </p>
          <div className="action-row">
            <button type="submit" className="button primary" disabled={saving.isPending}>
              {windowId ? "Save changes" : "Save window"}
            </button>
            <button type="button" className="button" onClick={onDone}>
              Cancel
            </button>
          </div>
          <MutationStatus error={saving.error} success={false} />
        </form>
        <WindowSchedulePreview form={form} />
      </div>
    </section>
  );
}
