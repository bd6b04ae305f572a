"use client";

import type { AgentId, CommandId } from "@redflag/contracts";
import { useMutation, useQueries, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { messageOf } from "~/trpc/errors";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import { isActive } from "./commands-table";
import { DryRunDependencies } from "./dry-run-dependencies";
import { StatusBadge } from "./ui";
import type { UpdateSummary } from "./updates-view";

type AgentGroup = { agentId: AgentId; hostname: string; updates: UpdateSummary[] };
type DryRun = { agentId: AgentId; commandId: CommandId | null; error: string | null };

/**
 * Confirms an install. On opening it asks each agent involved for a dry run, and shows what the
 * install would pull in as the answers arrive; the admin may install without waiting for them.
 */
export function InstallDialog({
  updates,
  onClose,
  onInstalled,
}: {
  updates: UpdateSummary[];
  onClose: () => void;
  onInstalled: () => void;
}) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const dialog = useRef<HTMLDialogElement>(null);
  const [dryRuns, setDryRuns] = useState<DryRun[]>([]);
  const groups: AgentGroup[] = [];
  for (const update of updates) {
    let group = groups.find((candidate) => candidate.agentId === update.agentId);
    if (!group) {
      group = { agentId: update.agentId, hostname: update.hostname, updates: [] };
      groups.push(group);
    }
    group.updates.push(update);
  }
  const groupKey = groups
    .map((group) => `${group.agentId}:${group.updates.map((u) => u.id).join(",")}`)
    .join(";");

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  // One dry run per agent, requested once when the dialog opens.
  // biome-ignore lint/correctness/useExhaustiveDependencies: groupKey stands for the groups
  useEffect(() => {
    let cancelled = false;
    void Promise.all(
      groups.map(async (group): Promise<DryRun> => {
        try {
          const command = await client.agents.requestCommand.mutate({
            agentId: group.agentId,
            type: "dry_run",
            updateIds: group.updates.map((update) => update.id),
          });
          return { agentId: group.agentId, commandId: command.id, error: null };
        } catch (error) {
          return { agentId: group.agentId, commandId: null, error: messageOf(error) };
        }
      }),
    ).then((results) => {
      if (!cancelled) setDryRuns(results);
    });
    return () => {
      cancelled = true;
    };
  }, [groupKey, client]);

  const previews = useQueries({
    queries: dryRuns.map((dryRun) => ({
      ...trpc.commands.get.queryOptions({ commandId: dryRun.commandId ?? "" }),
      enabled: dryRun.commandId !== null,
      refetchInterval: (query: { state: { data?: { status: string } } }) =>
        query.state.data && !isActive(query.state.data.status) ? false : 1500,
    })),
  });

  const install = useMutation(
    trpc.updates.install.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.commands.pathKey() });
        onInstalled();
      },
    }),
  );
  const waiting = previews.some((preview) => !preview.data || isActive(preview.data.status));

  /** Closing without installing withdraws the dry runs no agent has taken yet. */
  function dismiss() {
    if (!install.isSuccess) {
      for (const [index, dryRun] of dryRuns.entries()) {
        const status = previews[index]?.data?.status;
        if (dryRun.commandId && (status === "pending" || status === "sent")) {
          client.commands.cancel.mutate({ commandId: dryRun.commandId }).catch(() => {});
        }
      }
    }
    onClose();
  }

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="install-title"
      onCancel={(event) => {
        event.preventDefault();
        dismiss();
      }}
    >
      <h2 id="install-title">
        Install {updates.length} update{updates.length === 1 ? "" : "s"} on {groups.length} host
        {groups.length === 1 ? "" : "s"}
      </h2>
      {install.isSuccess ? (
        <div role="status" className="form-success">
          Install queued: {install.data.commandIds.length} command
          {install.data.commandIds.length === 1 ? "" : "s"}.{" "}
          {install.data.commandIds.map((commandId) => (
            <Link key={commandId} href={`/commands/${commandId}`} className="mono">
              {commandId}{" "}
            </Link>
          ))}
        </div>
      ) : (
        <>
          <p className="muted">
            Each agent was asked for a dry run: it lists what the install would also change. Agents take it at
            their next check-in.
          </p>
          <div className="dialog-body">
            {groups.map((group) => {
              const index = dryRuns.findIndex((dryRun) => dryRun.agentId === group.agentId);
              const dryRun = dryRuns[index];
              const preview = index >= 0 ? previews[index] : undefined;
              return (
                <section key={group.agentId} className="dry-run" aria-label={`Dry run on ${group.hostname}`}>
                  <h3>
                    {group.hostname} {preview?.data ? <StatusBadge value={preview.data.status} /> : null}
                  </h3>
                  <p className="small-text">{group.updates.map((update) => update.packageName).join(", ")}</p>
                  {!dryRun ? <p className="muted">Requesting a dry run…</p> : null}
                  {dryRun?.error ? (
                    <p className="form-error" role="alert">
                      Dry run not possible: {dryRun.error}
                    </p>
                  ) : null}
                  {preview?.data && isActive(preview.data.status) ? (
                    <p className="muted" aria-live="polite">
                      Waiting for {group.hostname} to run the dry run…
                    </p>
                  ) : null}
                  {preview?.data && !isActive(preview.data.status) ? (
                    preview.data.status === "succeeded" ? (
                      <DryRunDependencies result={preview.data.result} output={preview.data.output} />
                    ) : (
                      <p className="form-error">
                        The dry run {preview.data.status.replace("_", " ")}
                        {preview.data.output ? `: ${preview.data.output}` : ""}
                      </p>
                    )
                  ) : null}
                </section>
              );
            })}
          </div>
        </>
      )}
      {install.error ? (
        <p className="form-error" role="alert">
          {messageOf(install.error)}
        </p>
      ) : null}
      <div className="dialog-actions">
        {install.isSuccess ? (
          <button type="button" className="button primary" onClick={onClose}>
            Close
          </button>
        ) : (
          <>
            <button type="button" className="button" onClick={dismiss}>
              Cancel
            </button>
            <button
              type="button"
              className="button primary"
              disabled={install.isPending}
              onClick={() => install.mutate({ updateIds: updates.map((update) => update.id) })}
            >
              {waiting ? "Install without waiting for the preview" : "Confirm install"}
            </button>
          </>
        )}
      </div>
    </dialog>
  );
}
