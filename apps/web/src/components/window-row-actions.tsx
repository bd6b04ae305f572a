"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "~/trpc/react";
import { ConfirmDialog } from "./ui/confirm-dialog";
import { Untrusted } from "./ui/text";
import { actionSummary, scopeSummary, type WindowSummary } from "./window-draft";

type Asking = "enable" | "disable" | "delete" | null;

/** Enable, disable, edit, delete: enabling changes machines (it installs and reboots), so each asks first. */
export function WindowRowActions({ window, onEdit }: { window: WindowSummary; onEdit: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState<Asking>(null);
  const refresh = {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.maintenanceWindows.list.queryKey() }),
  };
  const setEnabled = useMutation(trpc.maintenanceWindows.setEnabled.mutationOptions(refresh));
  const remove = useMutation(trpc.maintenanceWindows.delete.mutationOptions(refresh));
  const pending = asking === "delete" ? remove : setEnabled;
  const close = () => {
    pending.reset();
    setAsking(null);
  };
  const titles = {
    enable: "Enable this maintenance window?",
    disable: "Disable this maintenance window?",
    delete: "Delete this maintenance window?",
  };
  return (
    <div className="action-row">
      <button
        type="button"
        className="button small"
        onClick={() => setAsking(window.enabled ? "disable" : "enable")}
      >
        {window.enabled ? "Disable" : "Enable"}
      </button>
      <button type="button" className="button small" onClick={onEdit}>
        Edit
      </button>
      <button type="button" className="button small danger" onClick={() => setAsking("delete")}>
        Delete
      </button>
      {asking ? (
        <ConfirmDialog
          title={titles[asking]}
          confirmLabel={
            asking === "delete" ? "Delete window" : asking === "enable" ? "Enable window" : "Disable window"
          }
          tone={asking === "enable" ? "primary" : "danger"}
          pending={pending.isPending}
          error={pending.error}
          done={pending.isSuccess ? <p>Done.</p> : undefined}
          onConfirm={() =>
            asking === "delete"
              ? remove.mutate({ windowId: window.id })
              : setEnabled.mutate({ windowId: window.id, enabled: asking === "enable" })
          }
          onCancel={close}
        >
          <p>
            <Untrusted className="strong" text={window.name} /> ({window.schedule}, {window.timeZone},{" "}
            {window.durationMinutes} min) for <Untrusted text={scopeSummary(window)} />:{" "}
            {actionSummary(window)}.
          </p>
          <p>
            {asking === "enable"
              ? `At each opening${window.nextOpening ? ` (next: ${window.nextOpening.local})` : ""} it changes these hosts as above, including while it is open now.`
              : asking === "disable"
                ? "It queues nothing more; commands already queued still run. Approved updates of its hosts wait for another window or an admin."
                : "Its run history goes with it; commands already queued still run."}
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
