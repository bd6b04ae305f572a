"use client";

import Link from "next/link";
import { formatDateTime, formatRelative, packageTypeLabel } from "~/lib/format";
import { SortHeader, StatusBadge } from "./ui/basics";
import { type Column, DataTable } from "./ui/data-table";
import { Untrusted } from "./ui/text";
import { PackageCell, StatusCell, VersionCell } from "./update-cells";
import type { UpdateSelection } from "./update-selection";
import type { UpdateSummary } from "./updates-view";
import type { UpdateFilterState } from "./use-update-filter";

export function UpdatesTable({
  items,
  state,
  selection,
  busy,
}: {
  items: UpdateSummary[];
  state: UpdateFilterState;
  /** Absent for a viewer, who cannot change anything. */
  selection: UpdateSelection | null;
  busy: boolean;
}) {
  const sortHeader = (label: string, column: (typeof state)["sort"]) => (
    <SortHeader
      label={label}
      column={column}
      sort={state.sort}
      direction={state.direction}
      onSort={(sort, direction) => state.set({ sort, direction, page: null })}
    />
  );
  const columns: (Column<UpdateSummary> | null)[] = [
    selection
      ? {
          key: "check",
          header: null,
          className: "check",
          headerCell: (
            <th scope="col" className="check">
              <input
                type="checkbox"
                aria-label="Select every update on this page"
                checked={selection.allOnPage(items)}
                ref={(element) => {
                  if (element)
                    element.indeterminate = selection.someOnPage(items) && !selection.allOnPage(items);
                }}
                onChange={() => selection.togglePage(items)}
              />
            </th>
          ),
          cell: (update) => (
            <input
              type="checkbox"
              aria-label={`Select ${update.packageName} on ${update.hostname}`}
              checked={selection.has(update.id)}
              onChange={() => selection.toggle(update)}
            />
          ),
        }
      : null,
    { key: "package", header: null, headerCell: sortHeader("Package", "packageName"), cell: PackageCell },
    {
      key: "host",
      header: null,
      headerCell: sortHeader("Host", "hostname"),
      cell: (update) => (
        <Link href={`/agents/${update.agentId}`}>
          <Untrusted text={update.hostname} />
        </Link>
      ),
    },
    { key: "type", header: "Type", cell: (update) => packageTypeLabel(update.packageType) },
    { key: "version", header: "Version", className: "mono wrap", cell: VersionCell },
    {
      key: "severity",
      header: null,
      headerCell: sortHeader("Severity", "severity"),
      cell: (update) => <StatusBadge value={update.severity} />,
    },
    { key: "status", header: "Status", cell: StatusCell },
    {
      key: "firstSeen",
      header: null,
      headerCell: sortHeader("First seen", "firstSeenAt"),
      className: "nowrap",
      cell: (update) => (
        <span title={formatDateTime(update.firstSeenAt)}>{formatRelative(update.firstSeenAt)}</span>
      ),
    },
  ];
  return (
    <DataTable
      columns={columns}
      rows={items}
      rowKey={(update) => update.id}
      busy={busy}
      rowClassName={(update) => (selection?.has(update.id) ? "selected" : undefined)}
    />
  );
}
