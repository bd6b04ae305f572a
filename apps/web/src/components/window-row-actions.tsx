"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react";
import { EntityRowActions } from "./entity-row-actions";
import { Untrusted } from "./ui/text";
import { actionSummary, scopeSummary, type WindowSummary } from "./window-draft";

/** Enabling changes machines (it installs and reboots), so each action asks first. */
export function WindowRowActions({ window, onEdit }: { window: WindowSummary; onEdit: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.maintenanceWindows.list.queryKey() }),
  };
  const setEnabled = useMutation(trpc.maintenanceWindows.setEnabled.mutationOptions(refresh));
  const remove = useMutation(trpc.maintenanceWindows.delete.mutationOptions(refresh));
  return (
    <EntityRowActions
      noun={{ title: "maintenance window", button: "window" }}
      enabled={window.enabled}
      asks={() => true}
      setEnabled={{
        ...setEnabled,
        run: (enabled) => setEnabled.mutate({ windowId: window.id, enabled }),
      }}
      remove={{ ...remove, run: () => remove.mutate({ windowId: window.id }) }}
      onEdit={onEdit}
      describe={(action) => (
        <>
          <p>
            <Untrusted className="strong" text={window.name} /> ({window.schedule}, {window.timeZone},{" "}
            {window.durationMinutes} min) for <Untrusted text={scopeSummary(window)} />:{" "}
            {actionSummary(window)}.
          </p>
          <p>
            {action === "enable"
              ? `At each opening${window.nextOpening ? ` (next: ${window.nextOpening.local})` : ""} it changes these hosts as above, including while it is open now.`
              : action === "disable"
                ? "It queues nothing more; commands already queued still run. Approved updates of its hosts wait for another window or an admin."
                : "Its run history goes with it; commands already queued still run."}
          </p>
        </>
      )}
    />
  );
}
