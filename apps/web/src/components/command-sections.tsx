"use client";

import type { commandDetailSchema } from "@redflag/contracts";
import type { z } from "zod";
import { withoutProgressNoise } from "~/lib/command-output";
import { formatDateTime, humanize, packageTypeLabel } from "~/lib/format";
import { isActive } from "./commands-table";
import { StatusBadge } from "./ui/basics";
import { type Column, DataTable } from "./ui/data-table";

type CommandDetail = z.infer<typeof commandDetailSchema>;
type Target = CommandDetail["targets"][number];
type Outcome = NonNullable<CommandDetail["itemOutcomes"]>[number];

/** The updates a command acts on, with each one's outcome once the agent reported it. */
export function CommandTargets({ command }: { command: CommandDetail }) {
  const outcomes = new Map((command.itemOutcomes ?? []).map((outcome) => [outcome.updateId, outcome]));
  const pending = !isActive(command.status)
    ? "none reported"
    : (command.progressPercent ?? 0) >= 100
      ? "finishing: the result is on its way"
      : "waiting";
  const columns: Column<Target>[] = [
    {
      key: "package",
      header: "Package",
      cell: (target) => (
        <>
          <bdi>{target.packageName}</bdi>
          {target.target ? (
            <span className="muted">
              {" "}
              (<bdi>{target.target}</bdi>)
            </span>
          ) : null}
        </>
      ),
    },
    { key: "type", header: "Type", cell: (target) => packageTypeLabel(target.packageType) },
    {
      key: "version",
      header: "Version",
      className: "mono wrap",
      cell: (target) =>
        command.type === "rollback"
          ? `${target.availableVersion} → ${target.currentVersion ?? "?"}`
          : `${target.currentVersion ?? "—"} → ${target.availableVersion}`,
    },
    {
      key: "outcome",
      header: "Outcome",
      cell: (target) => {
        const outcome = outcomes.get(target.updateId);
        return outcome ? <OutcomeCell outcome={outcome} /> : <span className="muted">{pending}</span>;
      },
    },
  ];
  return (
    <section className="card" aria-labelledby="targets-title">
      <h2 id="targets-title">Updates</h2>
      <DataTable columns={columns} rows={command.targets} rowKey={(target) => target.updateId} />
    </section>
  );
}

const outcomeTones = { skipped: "cancelled", installed: "succeeded", failed: "failed" } as const;

function OutcomeCell({ outcome }: { outcome: Outcome }) {
  return (
    <>
      <StatusBadge value={outcomeTones[outcome.status]} label={humanize(outcome.status)} />
      {outcome.installedVersion ? <span className="mono"> {outcome.installedVersion}</span> : null}
      {outcome.message ? <div className="muted small-text wrap">{outcome.message}</div> : null}
    </>
  );
}

/** What happened, attempt by attempt, and the output of the last one. */
export function CommandLog({
  command,
  pollIntervalSeconds,
}: {
  command: CommandDetail;
  pollIntervalSeconds: number | null;
}) {
  const attempts = [...new Set(command.logs.map((log) => log.attempt))].sort((a, b) => a - b);
  return (
    <>
      <section className="card" aria-labelledby="log-title">
        <h2 id="log-title">Log by attempt</h2>
        {attempts.length === 0 ? (
          <p className="muted">
            Nothing yet: an agent waiting in a long poll takes the command within seconds; one that polls
            takes it at its next check-in{pollIntervalSeconds ? ` (every ${pollIntervalSeconds} s)` : ""}.
          </p>
        ) : (
          attempts.map((attempt) => (
            <div key={attempt} className="attempt">
              <h3>Attempt {attempt}</h3>
              <ol className="log">
                {command.logs
                  .filter((log) => log.attempt === attempt)
                  .map((log) => (
                    <li key={log.id}>
                      <time className="muted mono" dateTime={log.createdAt.toISOString()}>
                        {formatDateTime(log.createdAt)}
                      </time>{" "}
                      <span className="log-kind">{humanize(log.kind)}</span>
                      {log.percent !== null && log.kind === "progress" ? ` ${Math.round(log.percent)}%` : ""}{" "}
                      {log.message}
                    </li>
                  ))}
              </ol>
            </div>
          ))
        )}
      </section>

      <section className="card" aria-labelledby="output-title">
        <h2 id="output-title">Output</h2>
        {command.output ? (
          <pre className="output">{withoutProgressNoise(command.output)}</pre>
        ) : (
          <p className="muted">
            {isActive(command.status) ? "The agent has not reported a result yet." : "No output."}
          </p>
        )}
      </section>
    </>
  );
}
