"use client";

import type { NotificationTarget } from "@redflag/contracts";
import { humanize } from "~/lib/format";
import { kindLabels } from "./notification-draft";
import { NotificationRowActions } from "./notification-row-actions";
import { useCan } from "./session";
import { EmptyState, StatusBadge } from "./ui/basics";
import { DataTable } from "./ui/data-table";
import { Untrusted } from "./ui/text";

/** Every target: its kind, what it hears, whether it is on, and its actions. */
export function NotificationTargets({
  targets,
  onEdit,
}: {
  targets: NotificationTarget[];
  onEdit: (target: NotificationTarget) => void;
}) {
  const canChange = useCan("admin");
  if (targets.length === 0) {
    return (
      <EmptyState title="No notification targets yet">
        Add one to hear of failed installs, new security updates or hosts going offline on ntfy, Gotify,
        Discord, Slack, a webhook or by e-mail.
      </EmptyState>
    );
  }
  return (
    <DataTable
      rows={targets}
      rowKey={(target) => target.id}
      caption="Notification targets"
      columns={[
        {
          key: "name",
          header: "Name",
          cell: (target) => <Untrusted className="strong" text={target.name} />,
        },
        { key: "kind", header: "Kind", className: "nowrap", cell: (target) => kindLabels[target.kind] },
        {
          key: "events",
          header: "Events",
          className: "wrap",
          cell: (target) =>
            target.events.length === 0 ? (
              <span className="muted">none</span>
            ) : (
              target.events.map(humanize).join(", ")
            ),
        },
        {
          key: "tags",
          header: "Agent tags",
          className: "wrap",
          cell: (target) =>
            target.tags.length === 0 ? "all agents" : <Untrusted text={target.tags.join(", ")} />,
        },
        {
          key: "enabled",
          header: "Enabled",
          cell: (target) =>
            target.secretsUnreadable ? (
              <StatusBadge value="failed" label="Secrets unreadable: enter them again" />
            ) : (
              <StatusBadge
                value={target.enabled ? "succeeded" : "cancelled"}
                label={target.enabled ? "On" : "Off"}
              />
            ),
        },
        canChange && {
          key: "actions",
          header: <span className="visually-hidden">Actions</span>,
          cell: (target) => <NotificationRowActions target={target} onEdit={() => onEdit(target)} />,
        },
      ]}
    />
  );
}
