"use client";

import type { RolloutStatus } from "@redflag/contracts";
import { useQuery } from "@tanstack/react-query";
import { formatDateTime, formatRelative, packageTypeLabel } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { RolloutActions } from "./rollout-actions";
import { useCan } from "./session";
import { EmptyState, StatusBadge } from "./ui/basics";
import { DataTable } from "./ui/data-table";
import { QueryState } from "./ui/query-state";
import { Untrusted } from "./ui/text";

/** The badge tone of each rollout status, borrowed from the statuses that look the same. */
const tones: Record<RolloutStatus, string> = {
  running: "running",
  stopped: "failed",
  completed: "succeeded",
  cancelled: "cancelled",
};

/** Package versions moving through staged approve policies, newest change first. */
export function RolloutTable() {
  const trpc = useTRPC();
  const canDecide = useCan("operator");
  const rollouts = useQuery({ ...trpc.policies.rollouts.queryOptions({}), refetchInterval: 15_000 });
  return (
    <section className="card" aria-labelledby="rollouts-title">
      <h2 id="rollouts-title">Staged rollouts</h2>
      <QueryState query={rollouts} what="rollouts">
        {(rows) =>
          rows.length === 0 ? (
            <EmptyState title="No rollouts yet">
              An approve policy with stages starts one for each package version it matches.
            </EmptyState>
          ) : (
            <DataTable
              rows={rows}
              rowKey={(rollout) => rollout.id}
              caption="Staged rollouts"
              columns={[
                {
                  key: "package",
                  header: "Package",
                  className: "wrap",
                  cell: (rollout) => (
                    <>
                      <Untrusted className="strong" text={rollout.packageName} />{" "}
                      <span className="muted small-text">{packageTypeLabel(rollout.packageType)}</span>
                    </>
                  ),
                },
                {
                  key: "version",
                  header: "Version",
                  className: "mono wrap",
                  cell: (rollout) => rollout.availableVersion,
                },
                {
                  key: "policy",
                  header: "Policy",
                  cell: (rollout) => <Untrusted text={rollout.policyName} />,
                },
                {
                  key: "stage",
                  header: "Stage",
                  className: "nowrap",
                  cell: (rollout) => (
                    <span title={`since ${formatDateTime(rollout.stageStartedAt)}`}>
                      {rollout.stage + 1} of {rollout.stageCount}
                    </span>
                  ),
                },
                {
                  key: "status",
                  header: "Status",
                  className: "wrap",
                  cell: (rollout) => (
                    <>
                      <StatusBadge value={tones[rollout.status]} label={rollout.status} />
                      {rollout.stoppedReason ? <p className="small-text">{rollout.stoppedReason}</p> : null}
                    </>
                  ),
                },
                {
                  key: "updated",
                  header: "Changed",
                  className: "nowrap",
                  cell: (rollout) => formatRelative(rollout.updatedAt),
                },
                canDecide && {
                  key: "actions",
                  header: <span className="visually-hidden">Actions</span>,
                  cell: (rollout) => <RolloutActions rollout={rollout} />,
                },
              ]}
            />
          )
        }
      </QueryState>
    </section>
  );
}
