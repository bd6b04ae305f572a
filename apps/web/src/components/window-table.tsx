"use client";

import { useCan } from "./session";
import { EmptyState, StatusBadge } from "./ui/basics";
import { DataTable } from "./ui/data-table";
import { Untrusted } from "./ui/text";
import { actionSummary, scopeSummary, type WindowSummary } from "./window-draft";
import { WindowRowActions } from "./window-row-actions";

/** Every window: when it opens, for whom, what it does, and how its last occurrence went. */
export function WindowTable({
  windows,
  onEdit,
}: {
  windows: WindowSummary[];
  onEdit: (window: WindowSummary) => void;
}) {
  const canChange = useCan("admin");
  if (windows.length === 0) {
    return (
      <EmptyState title="No maintenance windows yet">
        A window installs the approved updates of its hosts at set times (every Sunday at 03:00, say), scans
        and reboots them as you choose.
      </EmptyState>
    );
  }
  return (
    <DataTable
      rows={windows}
      rowKey={(window) => window.id}
      caption="Maintenance windows"
      columns={[
        {
          key: "name",
          header: "Name",
          cell: (window) => (
            <>
              <Untrusted className="strong" text={window.name} />{" "}
              <StatusBadge
                value={window.enabled ? "succeeded" : "cancelled"}
                label={window.enabled ? "On" : "Off"}
              />
            </>
          ),
        },
        {
          key: "schedule",
          header: "Schedule",
          className: "wrap",
          cell: (window) => (
            <>
              <span className="mono">{window.schedule}</span>
              {window.description ? <div className="muted small-text">{window.description}</div> : null}
              <div className="muted small-text">
                {window.timeZone}, {window.durationMinutes} min
              </div>
            </>
          ),
        },
        {
          key: "does",
          header: "Hosts and work",
          className: "wrap",
          cell: (window) => (
            <>
              <Untrusted className="strong" text={scopeSummary(window)} />
              <div className="muted small-text">{actionSummary(window)}</div>
            </>
          ),
        },
        {
          key: "openings",
          header: "Openings",
          className: "wrap",
          cell: (window) => (
            <>
              <div>next: {window.nextOpening?.local ?? "—"}</div>
              <div className="muted small-text">
                last:{" "}
                {window.lastOccurrence
                  ? `${window.lastOccurrence.done} done, ${window.lastOccurrence.missed} missed, ${window.lastOccurrence.failed} failed of ${window.lastOccurrence.hosts}`
                  : "never opened"}
              </div>
            </>
          ),
        },
        canChange && {
          key: "actions",
          header: <span className="visually-hidden">Actions</span>,
          cell: (window) => <WindowRowActions window={window} onEdit={() => onEdit(window)} />,
        },
      ]}
    />
  );
}
