"use client";

import type { listCommandsOutput } from "@redflag/contracts";
import Link from "next/link";
import type { z } from "zod";
import { formatDateTime, formatElapsed, formatRelative, humanize } from "~/lib/format";
import { ProgressBar, StatusBadge } from "./ui/basics";
import { type Column, DataTable } from "./ui/data-table";
import { Untrusted } from "./ui/text";

type CommandSummary = z.infer<typeof listCommandsOutput>["items"][number];

export const activeCommandStatuses = ["pending", "sent", "running"] as const;

export function isActive(status: string): boolean {
  return (activeCommandStatuses as readonly string[]).includes(status);
}

const columns = (showHost: boolean): (Column<CommandSummary> | null)[] => [
  {
    key: "command",
    header: "Command",
    cell: (command) => (
      <>
        <Link href={`/commands/${command.id}`} className="strong-link">
          {humanize(command.type)}
        </Link>
        <div className="muted mono small-text">{command.id}</div>
        {command.retryOf ? <div className="muted small-text">retry of {command.retryOf}</div> : null}
      </>
    ),
  },
  showHost
    ? {
        key: "host",
        header: "Host",
        cell: (command) => (
          <Link href={`/agents/${command.agentId}`}>
            <Untrusted text={command.hostname} />
          </Link>
        ),
      }
    : null,
  { key: "status", header: "Status", cell: StatusCell },
  {
    key: "attempt",
    header: "Attempt",
    className: "numeric",
    cell: (command) => `${command.attempt}/${command.maxAttempts}`,
  },
  { key: "items", header: "Items", className: "numeric", cell: (command) => command.targetCount || "—" },
  {
    key: "created",
    header: "Created",
    className: "nowrap",
    cell: (command) => (
      <span title={formatDateTime(command.createdAt)}>{formatRelative(command.createdAt)}</span>
    ),
  },
  {
    key: "took",
    header: "Took",
    cell: (command) =>
      command.startedAt || command.sentAt
        ? formatElapsed(command.startedAt ?? command.sentAt, command.finishedAt)
        : "—",
  },
];

function StatusCell(command: CommandSummary) {
  return (
    <>
      <StatusBadge value={command.status} />
      {command.status === "running" ? (
        <div>
          <ProgressBar percent={command.progressPercent} label={`Progress of ${command.id}`} />
          {command.progressMessage ? <div className="muted small-text">{command.progressMessage}</div> : null}
        </div>
      ) : null}
      {command.exitCode !== null && command.status === "failed" ? (
        <div className="muted small-text">exit code {command.exitCode}</div>
      ) : null}
    </>
  );
}

export function CommandsTable({
  commands,
  showHost = true,
}: {
  commands: CommandSummary[];
  showHost?: boolean;
}) {
  return <DataTable columns={columns(showHost)} rows={commands} rowKey={(command) => command.id} />;
}
