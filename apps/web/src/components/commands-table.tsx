"use client";

import type { listCommandsOutput } from "@redflag/contracts";
import Link from "next/link";
import type { z } from "zod";
import { formatDateTime, formatElapsed, formatRelative, humanize } from "~/lib/format";
import { ProgressBar, StatusBadge } from "./ui";

type CommandSummary = z.infer<typeof listCommandsOutput>["items"][number];

export const activeCommandStatuses = ["pending", "sent", "running"] as const;

export function isActive(status: string): boolean {
  return (activeCommandStatuses as readonly string[]).includes(status);
}

export function CommandsTable({
  commands,
  showHost = true,
}: {
  commands: CommandSummary[];
  showHost?: boolean;
}) {
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Command</th>
            {showHost ? <th scope="col">Host</th> : null}
            <th scope="col">Status</th>
            <th scope="col" className="numeric">
              Attempt
            </th>
            <th scope="col" className="numeric">
              Items
            </th>
            <th scope="col">Created</th>
            <th scope="col">Took</th>
          </tr>
        </thead>
        <tbody>
          {commands.map((command) => (
            <tr key={command.id}>
              <td>
                <Link href={`/commands/${command.id}`} className="strong-link">
                  {humanize(command.type)}
                </Link>
                <div className="muted mono small-text">{command.id}</div>
                {command.retryOf ? <div className="muted small-text">retry of {command.retryOf}</div> : null}
              </td>
              {showHost ? (
                <td>
                  <Link href={`/agents/${command.agentId}`}>{command.hostname}</Link>
                </td>
              ) : null}
              <td>
                <StatusBadge value={command.status} />
                {command.status === "running" ? (
                  <div>
                    <ProgressBar percent={command.progressPercent} label={`Progress of ${command.id}`} />
                    {command.progressMessage ? (
                      <div className="muted small-text">{command.progressMessage}</div>
                    ) : null}
                  </div>
                ) : null}
                {command.exitCode !== null && command.status === "failed" ? (
                  <div className="muted small-text">exit code {command.exitCode}</div>
                ) : null}
              </td>
              <td className="numeric">
                {command.attempt}/{command.maxAttempts}
              </td>
              <td className="numeric">{command.targetCount || "—"}</td>
              <td className="nowrap" title={formatDateTime(command.createdAt)}>
                {formatRelative(command.createdAt)}
              </td>
              <td>
                {command.startedAt || command.sentAt
                  ? formatElapsed(command.startedAt ?? command.sentAt, command.finishedAt)
                  : "—"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
