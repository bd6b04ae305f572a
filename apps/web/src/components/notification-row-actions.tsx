"use client";

import type { NotificationTarget } from "@redflag/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "~/trpc/react";
import { kindLabels } from "./notification-draft";
import { MutationStatus } from "./ui/basics";
import { ConfirmDialog } from "./ui/confirm-dialog";
import { Untrusted } from "./ui/text";

/** Send test (its answer shown under the buttons), edit, and delete behind a confirmation. */
export function NotificationRowActions({
  target,
  onEdit,
}: {
  target: NotificationTarget;
  onEdit: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState(false);
  const refreshLog = () =>
    queryClient.invalidateQueries({ queryKey: trpc.notifications.deliveries.queryKey() });
  const sendTest = useMutation(trpc.notifications.sendTest.mutationOptions({ onSuccess: refreshLog }));
  const remove = useMutation(
    trpc.notifications.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.notifications.targets.queryKey() });
        await refreshLog();
      },
    }),
  );
  const result = sendTest.data;
  return (
    // Wide enough for a test's error to read as a line, not a column of words, on a phone.
    <div style={{ minWidth: "16rem" }}>
      <div className="action-row">
        <button
          type="button"
          className="button small"
          disabled={sendTest.isPending}
          onClick={() => sendTest.mutate({ id: target.id })}
        >
          {sendTest.isPending ? "Sending…" : "Send test"}
        </button>
        <button type="button" className="button small" onClick={onEdit}>
          Edit
        </button>
        <button type="button" className="button small danger" onClick={() => setAsking(true)}>
          Delete
        </button>
      </div>
      {result ? (
        <p className={result.ok ? "form-success" : "form-error"} role="status">
          {result.ok
            ? `Test sent${result.responseStatus ? ` (${result.responseStatus})` : ""}.`
            : `Test failed: ${result.error ?? "unknown error"}`}
        </p>
      ) : (
        <MutationStatus error={sendTest.error} success={false} />
      )}
      {asking ? (
        <ConfirmDialog
          title="Delete this notification target?"
          confirmLabel="Delete target"
          tone="danger"
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate({ id: target.id })}
          onCancel={() => {
            remove.reset();
            setAsking(false);
          }}
        >
          <p>
            <Untrusted className="strong" text={target.name} /> ({kindLabels[target.kind]}) stops receiving
            notifications, and its delivery log is deleted with it.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
