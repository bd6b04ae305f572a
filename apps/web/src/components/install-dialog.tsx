"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { plural } from "~/lib/format";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import { isActive } from "./commands-table";
import { DryRunDependencies } from "./dry-run-dependencies";
import { StatusBadge } from "./ui/basics";
import { ConfirmDialog } from "./ui/confirm-dialog";
import { Untrusted } from "./ui/text";
import type { MatchingChoice, SelectedUpdate } from "./update-selection";
import { groupByHost, type HostGroup, useDryRuns } from "./use-dry-runs";

/** Updates to install: named one by one, or every update a filter matches (then installed by that filter). */
export type InstallChoice = { updates: SelectedUpdate[]; matching: MatchingChoice | null };

/**
 * Confirms an install, naming each host and what it gets. Each host is asked for a dry run, and what
 * the install would pull in shows as the answers arrive; the admin may install without waiting.
 */
export function InstallDialog({
  choice,
  onClose,
  onInstalled,
}: {
  choice: InstallChoice;
  onClose: () => void;
  onInstalled: () => void;
}) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const groups = groupByHost(choice.updates);
  const dryRuns = useDryRuns(groups);
  const install = useMutation({
    mutationFn: () =>
      choice.matching
        ? client.updates.installMatching.mutate(choice.matching)
        : client.updates.install.mutate({ updateIds: choice.updates.map((update) => update.id) }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: trpc.commands.pathKey() });
      onInstalled();
    },
  });
  const hosts = groups.length === 1 ? (groups[0]?.hostname ?? "") : plural(groups.length, "host");
  return (
    <ConfirmDialog
      title={
        <>
          Install {plural(choice.updates.length, "update")} on <Untrusted text={hosts} />
        </>
      }
      confirmLabel={dryRuns.waiting ? "Install without waiting for the preview" : "Confirm install"}
      pending={install.isPending}
      error={install.error}
      onConfirm={() => install.mutate()}
      onCancel={() => {
        if (!install.isSuccess) dryRuns.withdraw();
        onClose();
      }}
      done={
        install.isSuccess ? (
          <div role="status" className="form-success">
            Install queued: {plural(install.data.commandIds.length, "command")}.{" "}
            {install.data.commandIds.map((commandId) => (
              <Link key={commandId} href={`/commands/${commandId}`} className="mono">
                {commandId}{" "}
              </Link>
            ))}
          </div>
        ) : undefined
      }
    >
      <p className="muted">
        Each host installs the updates below and may restart the services they belong to. Each agent was asked
        for a dry run first: it lists what the install would also change.
      </p>
      {groups.map((group) => (
        <HostPreview key={group.agentId} group={group} {...dryRuns.of(group.agentId)} />
      ))}
    </ConfirmDialog>
  );
}

function HostPreview({
  group,
  dryRun,
  preview,
}: { group: HostGroup } & ReturnType<ReturnType<typeof useDryRuns>["of"]>) {
  const names = group.updates.map((update) => update.packageName);
  return (
    <section className="dry-run" aria-label={`Dry run on ${group.hostname}`}>
      <h3>
        <Untrusted text={group.hostname} /> {preview ? <StatusBadge value={preview.status} /> : null}
      </h3>
      <p className="small-text wrap">
        {names.slice(0, 30).join(", ")}
        {names.length > 30 ? ` and ${names.length - 30} more` : ""}
      </p>
      {!dryRun ? <p className="muted">Requesting a dry run…</p> : null}
      {dryRun?.error ? (
        <p className="form-error" role="alert">
          Dry run not possible: {dryRun.error}
        </p>
      ) : null}
      {preview && isActive(preview.status) ? (
        <p className="muted" aria-live="polite">
          Waiting for {group.hostname} to run the dry run…
        </p>
      ) : null}
      {preview && !isActive(preview.status) ? (
        preview.status === "succeeded" ? (
          <DryRunDependencies result={preview.result} output={preview.output} />
        ) : (
          <p className="form-error">
            The dry run {preview.status.replace("_", " ")}
            {preview.output ? `: ${preview.output}` : ""}
          </p>
        )
      ) : null}
    </section>
  );
}
