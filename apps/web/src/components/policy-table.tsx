"use client";

import type { policySummarySchema } from "@redflag/contracts";
import type { z } from "zod";
import { formatCount, formatDateTime, formatRelative } from "~/lib/format";
import { matchSummary } from "./policy-draft";
import { PolicyRowActions } from "./policy-row-actions";
import { useCan } from "./session";
import { EmptyState, StatusBadge } from "./ui/basics";
import { DataTable } from "./ui/data-table";
import { Untrusted } from "./ui/text";

export type PolicySummary = z.infer<typeof policySummarySchema>;

/** Every policy: what it matches, whether it is on, when it last ran and what it did. */
export function PolicyTable({
  policies,
  onEdit,
}: {
  policies: PolicySummary[];
  onEdit: (policy: PolicySummary) => void;
}) {
  const canChange = useCan("admin");
  if (policies.length === 0) {
    return (
      <EmptyState title="No policies yet">
        An approve policy approves the updates it matches (security updates after a day, say); a hold policy
        keeps updates from ever being approved automatically.
      </EmptyState>
    );
  }
  return (
    <DataTable
      rows={policies}
      rowKey={(policy) => policy.id}
      caption="Policies"
      columns={[
        {
          key: "name",
          header: "Name",
          cell: (policy) => <Untrusted className="strong" text={policy.name} />,
        },
        {
          key: "action",
          header: "Action",
          cell: (policy) => (
            <StatusBadge
              value={policy.action === "approve" ? "approved" : "rejected"}
              label={policy.action === "approve" ? "Approve" : "Hold"}
            />
          ),
        },
        {
          key: "matches",
          header: "Matches",
          className: "wrap",
          cell: (policy) => <Untrusted text={matchSummary(policy)} />,
        },
        {
          key: "enabled",
          header: "Enabled",
          cell: (policy) => (
            <StatusBadge
              value={policy.enabled ? "succeeded" : "cancelled"}
              label={policy.enabled ? "On" : "Off"}
            />
          ),
        },
        {
          key: "lastRun",
          header: "Last run",
          className: "nowrap",
          cell: (policy) =>
            policy.lastRunAt ? (
              <span title={formatDateTime(policy.lastRunAt)}>{formatRelative(policy.lastRunAt)}</span>
            ) : (
              "never"
            ),
        },
        {
          key: "counts",
          header: "Did",
          className: "nowrap",
          cell: (policy) =>
            policy.action === "approve"
              ? `${formatCount(policy.approvedRecently)} approved (7 days)`
              : `${formatCount(policy.heldCount)} held`,
        },
        canChange && {
          key: "actions",
          header: <span className="visually-hidden">Actions</span>,
          cell: (policy) => <PolicyRowActions policy={policy} onEdit={() => onEdit(policy)} />,
        },
      ]}
    />
  );
}
