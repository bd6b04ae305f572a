"use client";

import { maxUpdatesPerSelection, type UpdateFilter } from "@redflag/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatCount, plural } from "~/lib/format";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import type { InstallChoice } from "./install-dialog";
import { MutationStatus } from "./ui/basics";
import type { UpdateSelection } from "./update-selection";

/** What to do with the selected updates: approve, reject or install them — the page's rows or all matching. */
export function UpdatesBulkBar({
  selection,
  filter,
  total,
  pageCount,
  onInstall,
}: {
  selection: UpdateSelection;
  filter: UpdateFilter;
  total: number;
  pageCount: number;
  onInstall: (choice: InstallChoice) => void;
}) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const [lastAction, setLastAction] = useState<"approved" | "rejected">("approved");
  const [preparing, setPreparing] = useState<unknown>(null);
  const done = () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: trpc.updates.pathKey() }), selection.clear()]);
  const change = useMutation({
    mutationFn: async (decision: "approved" | "rejected") => {
      setLastAction(decision);
      const matching = { filter, expectedTotal: total };
      if (decision === "approved") {
        return selection.allMatching
          ? client.updates.approveMatching.mutate(matching)
          : client.updates.approve.mutate({ updateIds: selection.ids() });
      }
      return selection.allMatching
        ? client.updates.rejectMatching.mutate(matching)
        : client.updates.reject.mutate({ updateIds: selection.ids() });
    },
    onSuccess: done,
  });
  const status = (
    <MutationStatus
      error={change.error ?? preparing}
      success={change.isSuccess}
      successText={`${lastAction === "approved" ? "Approved" : "Rejected"} ${plural(change.data?.changed ?? 0, "update")}.`}
    />
  );
  if (!selection.allMatching && selection.size === 0) return status;

  async function install() {
    if (!selection.allMatching) return onInstall({ updates: selection.rows(), matching: null });
    try {
      setPreparing(null);
      const matching = await client.updates.matching.query({ filter });
      onInstall({ updates: matching.items, matching: { filter, expectedTotal: matching.total } });
    } catch (error) {
      setPreparing(error);
    }
  }
  const canSelectAll =
    !selection.allMatching &&
    selection.size >= pageCount &&
    total > selection.size &&
    total <= maxUpdatesPerSelection;
  return (
    <>
      <section className="bulk-bar" aria-label="Selected updates">
        <strong>
          {selection.allMatching
            ? `All ${formatCount(total)} matching updates selected`
            : `${formatCount(selection.size)} selected`}
        </strong>
        {canSelectAll ? (
          <button type="button" className="button link" onClick={selection.selectAllMatching}>
            Select all {formatCount(total)} matching
          </button>
        ) : null}
        <span className="bulk-actions">
          <button
            type="button"
            className="button"
            disabled={change.isPending}
            onClick={() => change.mutate("approved")}
          >
            Approve
          </button>
          <button
            type="button"
            className="button"
            disabled={change.isPending}
            onClick={() => change.mutate("rejected")}
          >
            Reject
          </button>
          <button type="button" className="button primary" onClick={install}>
            Install…
          </button>
          <button type="button" className="button link" onClick={selection.clear}>
            Clear selection
          </button>
        </span>
      </section>
      {status}
    </>
  );
}
