"use client";

import { type CommandId, type commandRecordSchema, rollbackCandidates } from "@redflag/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { z } from "zod";
import { humanize, plural } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { MutationStatus } from "./ui/basics";
import { ConfirmDialog } from "./ui/confirm-dialog";
import { Untrusted } from "./ui/text";

type CommandDetail = Pick<
  z.infer<typeof commandRecordSchema>,
  "id" | "type" | "status" | "targets" | "itemOutcomes"
>;

/** Retry, cancel or roll back a command; the ones that change the machine ask first. */
export function CommandActions({ command, hostname }: { command: CommandDetail; hostname: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState<"retry" | "rollback" | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.commands.pathKey() });
  const openCreated = async (created: { id: CommandId }) => {
    await refresh();
    router.push(`/commands/${created.id}`);
  };
  const retry = useMutation(trpc.commands.retry.mutationOptions({ onSuccess: openCreated }));
  const rollback = useMutation(trpc.commands.rollback.mutationOptions({ onSuccess: openCreated }));
  const cancel = useMutation(trpc.commands.cancel.mutationOptions({ onSuccess: refresh }));
  const canRetry = ["failed", "timed_out", "cancelled"].includes(command.status);
  const canCancel = command.status === "pending" || command.status === "sent";
  const rollbackCount = rollbackCandidates(command).length;
  const canRollback = rollbackCount > 0;
  // Running a failed rollback again is rarely the answer: its error says what to fix first.
  const retryLeads = canRetry && command.type !== "rollback";
  if (!canRetry && !canCancel && !canRollback) return null;
  const count = plural(asking === "rollback" ? rollbackCount : command.targets.length, "update");
  const pending = asking === "retry" ? retry : rollback;
  return (
    <section className="card actions-card" aria-label="Actions">
      <div className="action-row">
        {command.type === "rollback" && command.status === "failed" ? (
          <p className="muted">The rollback failed: read its error below before trying it again.</p>
        ) : null}
        {canRetry ? (
          <button
            type="button"
            className={`button${retryLeads ? " primary" : ""}`}
            onClick={() => setAsking("retry")}
          >
            Retry
          </button>
        ) : null}
        {canCancel ? (
          <button
            type="button"
            className="button danger-outline"
            disabled={cancel.isPending}
            onClick={() => cancel.mutate({ commandId: command.id })}
          >
            Cancel
          </button>
        ) : null}
        {canRollback ? (
          <button type="button" className="button" onClick={() => setAsking("rollback")}>
            Roll back
          </button>
        ) : null}
      </div>
      <MutationStatus error={cancel.error} success={cancel.isSuccess} successText="Cancelled." />
      {asking ? (
        <ConfirmDialog
          title={
            <>
              {asking === "retry" ? `${humanize(command.type)} again` : `Roll back ${count}`} on{" "}
              <Untrusted text={hostname} />?
            </>
          }
          confirmLabel={asking === "retry" ? "Run it again" : "Roll back"}
          tone={asking === "rollback" ? "danger" : "primary"}
          pending={pending.isPending}
          error={pending.error}
          onConfirm={() =>
            asking === "retry"
              ? retry.mutate({ commandId: command.id })
              : rollback.mutate({ commandId: command.id })
          }
          onCancel={() => setAsking(null)}
        >
          <p>
            {asking === "retry"
              ? `A new ${humanize(command.type).toLowerCase()} command goes to the agent at its next check-in, for the same ${count}.`
              : `The agent puts back the versions this install replaced (${count}${rollbackCount < command.targets.length ? `; the others' previous versions can no longer be installed` : ""}); the services they belong to may restart.`}
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
