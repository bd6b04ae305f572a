"use client";

import { type CommandId, snapshotParametersSchema } from "@redflag/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "~/trpc/react";
import { ConfirmDialog } from "./ui/confirm-dialog";
import { Untrusted } from "./ui/text";

/**
 * On a succeeded snapshot command (a node's snapshot of a guest before an install): roll the guest back
 * to it. Admin only; the node's agent runs pct/qm rollback, which discards everything since.
 */
export function SnapshotRollbackAction({
  command,
  hostname,
}: {
  command: { id: CommandId; type: string; status: string; parameters: Record<string, unknown> };
  hostname: string;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState(false);
  const rollback = useMutation(
    trpc.proxmox.rollbackToSnapshot.mutationOptions({
      onSuccess: async (created) => {
        await queryClient.invalidateQueries({ queryKey: trpc.commands.pathKey() });
        router.push(`/commands/${created.id}`);
      },
    }),
  );
  const parameters = snapshotParametersSchema.safeParse(command.parameters);
  if (command.type !== "snapshot" || command.status !== "succeeded" || !parameters.success) return null;
  const guest = `${parameters.data.guestType === "lxc" ? "container" : "VM"} ${parameters.data.vmid}`;
  return (
    <section className="card actions-card" aria-label="Snapshot">
      <div className="action-row">
        <span className="muted">
          Snapshot <span className="mono">{parameters.data.snapshotName}</span> of {guest}
        </span>
        <button type="button" className="button danger-outline" onClick={() => setAsking(true)}>
          Roll back to this snapshot…
        </button>
      </div>
      {asking ? (
        <ConfirmDialog
          title={
            <>
              Roll {guest} on <Untrusted text={hostname} /> back?
            </>
          }
          confirmLabel="Roll back"
          tone="danger"
          pending={rollback.isPending}
          error={rollback.error}
          onConfirm={() => rollback.mutate({ snapshotCommandId: command.id })}
          onCancel={() => setAsking(false)}
        >
          <p>
            The node's agent runs {parameters.data.guestType === "lxc" ? "pct" : "qm"} rollback to{" "}
            <span className="mono">{parameters.data.snapshotName}</span> at its next check-in: everything the
            guest changed since the snapshot, the install too, is lost, and a running guest is stopped.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
