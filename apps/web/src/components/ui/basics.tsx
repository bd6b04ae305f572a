"use client";

import type { ReactNode } from "react";
import { formatCount, humanize } from "~/lib/format";
import { messageOf } from "~/trpc/errors";

export function PageHeader({
  title,
  description,
  actions,
}: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {description ? <p className="muted">{description}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

/** A failed query: what went wrong, and a way to ask again. */
export function QueryError({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="form-error" role="alert">
      <span>{messageOf(error)}</span>
      {retry ? (
        <button type="button" className="button small" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" aria-busy="true">
      Loading {what}…
    </p>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <p className="empty-title">{title}</p>
      {children ? <div className="muted">{children}</div> : null}
    </div>
  );
}

const tones: Record<string, string> = {
  // update statuses
  available: "info",
  approved: "accent",
  installing: "running",
  installed: "ok",
  failed: "bad",
  rejected: "muted",
  resolved: "muted",
  // command statuses
  pending: "info",
  sent: "running",
  running: "running",
  succeeded: "ok",
  cancelled: "muted",
  timed_out: "bad",
  // severities
  critical: "bad",
  important: "warn",
  moderate: "info",
  low: "muted",
  unknown: "muted",
  // presence
  online: "ok",
  offline: "muted",
};

export function StatusBadge({ value, label }: { value: string; label?: string }) {
  return <span className={`pill ${tones[value] ?? "muted"}`}>{label ?? humanize(value)}</span>;
}

export function ProgressBar({ percent, label }: { percent: number | null; label?: string }) {
  const value = percent === null ? null : Math.max(0, Math.min(100, percent));
  return (
    <span className="progress">
      <span
        className="progress-track"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value ?? undefined}
        aria-label={label ?? "Progress"}
      >
        <span
          className="progress-fill"
          style={{ width: `${value ?? 100}%` }}
          data-indeterminate={value === null}
        />
      </span>
      <span className="progress-text">{value === null ? "…" : `${Math.round(value)}%`}</span>
    </span>
  );
}

export function Pagination({
  page,
  pageSize,
  total,
  onPage,
  what,
}: {
  page: number;
  pageSize: number;
  total: number;
  onPage: (page: number) => void;
  what: string;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <nav className="pagination" aria-label={`${what} pages`}>
      <span className="muted">
        {formatCount(first)}–{formatCount(last)} of {formatCount(total)} {what}
      </span>
      <button type="button" className="button small" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span>
        Page {formatCount(page)} of {formatCount(pages)}
      </span>
      <button
        type="button"
        className="button small"
        disabled={page >= pages}
        onClick={() => onPage(page + 1)}
      >
        Next
      </button>
    </nav>
  );
}

/** A column header that sorts the table: a real button, so it works from the keyboard. */
export function SortHeader<Key extends string>({
  label,
  column,
  sort,
  direction,
  onSort,
}: {
  label: string;
  column: Key;
  sort: Key;
  direction: "asc" | "desc";
  onSort: (column: Key, direction: "asc" | "desc") => void;
}) {
  const active = sort === column;
  return (
    <th scope="col" aria-sort={active ? (direction === "asc" ? "ascending" : "descending") : "none"}>
      <button
        type="button"
        className="sort-button"
        onClick={() => onSort(column, active && direction === "asc" ? "desc" : "asc")}
      >
        {label}
        <span aria-hidden="true" className="sort-mark">
          {active ? (direction === "asc" ? "▲" : "▼") : "↕"}
        </span>
      </button>
    </th>
  );
}

/** A small "saved" / error line under a form. */
export function MutationStatus({
  error,
  success,
  successText = "Saved.",
}: {
  error: unknown;
  success: boolean;
  successText?: string;
}) {
  if (error) {
    return (
      <p className="form-error" role="alert">
        {messageOf(error)}
      </p>
    );
  }
  if (success) {
    return (
      <p className="form-success" role="status">
        {successText}
      </p>
    );
  }
  return null;
}
