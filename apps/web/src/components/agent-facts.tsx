"use client";

import { type agentDetailSchema, updateStatuses } from "@redflag/contracts";
import Link from "next/link";
import type { z } from "zod";
import { formatBytes, formatCount, formatDateTime, formatDuration, formatRelative } from "~/lib/format";
import { StatusBadge } from "./ui/basics";
import { Fact } from "./ui/facts";
import { Untrusted } from "./ui/text";

export type AgentDetail = z.infer<typeof agentDetailSchema>;

export function AgentFacts({ agent }: { agent: AgentDetail }) {
  const rapid = agent.rapidModeUntil && agent.rapidModeUntil.getTime() > Date.now();
  return (
    <section className="card" aria-labelledby="facts-title">
      <h2 id="facts-title">System</h2>
      <dl className="facts">
        <Fact label="Operating system" value={`${agent.osName} ${agent.osVersion} (${agent.osType})`} />
        <Fact label="Architecture" value={agent.architecture} />
        <Fact label="Agent version" value={agent.agentVersion} />
        <Fact label="Machine id" value={agent.machineId} />
        <Fact label="Registered" value={formatDateTime(agent.createdAt)} />
        <Fact
          label="Last check-in"
          value={`${formatRelative(agent.lastCheckInAt)} (${formatDateTime(agent.lastCheckInAt)})`}
        />
        <Fact label="Last scan" value={formatRelative(agent.lastScanAt)} />
        <Fact
          label="Poll interval"
          value={`${formatDuration(agent.effectivePollIntervalSeconds)}${agent.pollIntervalSeconds === null ? " (server default)" : ""}`}
        />
        <Fact label="Rapid mode" value={rapid ? `until ${formatDateTime(agent.rapidModeUntil)}` : "off"} />
        <Fact label="Tags" value={agent.tags.length ? agent.tags.join(", ") : "none"} />
        {agent.rebootRequired ? (
          <Fact
            label="Reboot required"
            value={
              agent.rebootReasons.length > 0 ? (
                <ul className="plain-list">
                  {agent.rebootReasons.map((reason) => (
                    <li key={reason}>
                      <Untrusted text={reason} />
                    </li>
                  ))}
                </ul>
              ) : (
                "yes (the agent gave no reason)"
              )
            }
          />
        ) : null}
      </dl>
    </section>
  );
}

const orDash = (value: string | false | undefined | 0) => value || "—";

export function AgentMetrics({ agent }: { agent: AgentDetail }) {
  const metrics = agent.metrics;
  const used = (usedBytes?: number, totalBytes?: number) =>
    orDash(Boolean(totalBytes) && `${formatBytes(usedBytes)} of ${formatBytes(totalBytes)}`);
  return (
    <section className="card" aria-labelledby="metrics-title">
      <h2 id="metrics-title">Latest metrics</h2>
      {Object.keys(metrics).length === 0 ? (
        <p className="muted">The agent has not reported metrics yet.</p>
      ) : (
        <dl className="facts">
          <Fact
            label="CPU"
            value={orDash(metrics.cpuPercent !== undefined && `${metrics.cpuPercent.toFixed(1)}%`)}
          />
          <Fact label="Memory" value={used(metrics.memoryUsedBytes, metrics.memoryTotalBytes)} />
          <Fact label="Disk" value={used(metrics.diskUsedBytes, metrics.diskTotalBytes)} />
          <Fact
            label="Uptime"
            value={orDash(metrics.uptimeSeconds !== undefined && formatDuration(metrics.uptimeSeconds))}
          />
          <Fact
            label="Load average"
            value={orDash(
              metrics.loadAverage?.length && metrics.loadAverage.map((load) => load.toFixed(2)).join(" "),
            )}
          />
        </dl>
      )}
      <h3>Updates by status</h3>
      <ul className="status-counts">
        {updateStatuses.map((status) => (
          <li key={status}>
            <Link href={`/updates?agentId=${agent.id}&status=${status}`}>
              <StatusBadge value={status} /> {formatCount(agent.updateCounts[status] ?? 0)}
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
