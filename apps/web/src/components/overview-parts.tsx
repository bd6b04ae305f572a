"use client";

import type { dashboardOverviewOutput } from "@redflag/contracts";
import Link from "next/link";
import type { z } from "zod";
import { formatCount, formatRelative, humanize, plural } from "~/lib/format";
import { formatMeanTimeToPatch, formatRate } from "./reports-parts";
import { StatusBadge } from "./ui/basics";

type Overview = z.infer<typeof dashboardOverviewOutput>;

/** The overview's row of figures, each a link to the list it counts where there is one. */
export function FleetStats({ data }: { data: Overview }) {
  const readiness = data.agents.total === 0 ? null : (data.agents.upToDate / data.agents.total) * 100;
  return (
    <section className="stats" aria-label="Fleet summary">
      <Link href="/agents?presence=online" className="stat">
        <span className="stat-label">Agents online</span>
        <span className="stat-value ok-text">{formatCount(data.agents.online)}</span>
        <span className="stat-note">of {formatCount(data.agents.total)}</span>
      </Link>
      <Link href="/agents?presence=offline" className="stat">
        <span className="stat-label">Agents offline</span>
        <span className={`stat-value${data.agents.offline > 0 ? " bad-text" : ""}`}>
          {formatCount(data.agents.offline)}
        </span>
        <span className="stat-note">no check-in for 3 poll intervals</span>
      </Link>
      <Link href="/updates" className="stat">
        <span className="stat-label">Pending updates</span>
        <span className="stat-value">{formatCount(data.pending.total)}</span>
        <span className="stat-note">{formatCount(data.pending.approved)} approved</span>
      </Link>
      <Link href="/updates?security=true" className="stat">
        <span className="stat-label">Security updates waiting</span>
        <span className={`stat-value${data.pending.security > 0 ? " bad-text" : ""}`}>
          {formatCount(data.pending.security)}
        </span>
        <span className="stat-note">available or approved</span>
      </Link>
      <div className="stat">
        <span className="stat-label">Reboot required</span>
        <span className={`stat-value${data.agents.rebootRequired > 0 ? " warn-text" : ""}`}>
          {formatCount(data.agents.rebootRequired)}
        </span>
        <span className="stat-note">hosts</span>
      </div>
      <div className="stat">
        <span className="stat-label">Agent readiness</span>
        <span className="stat-value">{readiness === null ? "—" : `${readiness.toFixed(0)}%`}</span>
        <span className="stat-note">{formatCount(data.agents.upToDate)} hosts fully up to date</span>
      </div>
    </section>
  );
}

/** The reports' fleet line: compliance, mean time to patch and install success; each opens the reports. */
export function PatchingStats({ reports }: { reports: Overview["reports"] }) {
  const month = reports.installs.days30;
  return (
    <section className="stats" aria-label="Patching">
      <Link href="/reports" className="stat">
        <span className="stat-label">Hosts out of compliance</span>
        <span className={`stat-value${reports.hostsOutOfCompliance > 0 ? " bad-text" : " ok-text"}`}>
          {formatCount(reports.hostsOutOfCompliance)}
        </span>
        <span className="stat-note">
          a security update waiting over {plural(reports.complianceDays, "day")}
        </span>
      </Link>
      <Link href="/reports" className="stat">
        <span className="stat-label">Mean time to patch</span>
        <span className="stat-value">{formatMeanTimeToPatch(reports.meanTimeToPatchSeconds)}</span>
        <span className="stat-note">first seen → installed, {plural(reports.patched, "update")}</span>
      </Link>
      <Link href="/reports" className="stat">
        <span className="stat-label">Install success, 30 days</span>
        <span className="stat-value">{formatRate(month.rate)}</span>
        <span className="stat-note">
          {formatCount(month.succeeded)} succeeded, {formatCount(month.failed)} failed
        </span>
      </Link>
    </section>
  );
}

export function RecentFailures({ failures }: { failures: Overview["recentFailures"] }) {
  return (
    <section className="card" aria-labelledby="failures-title">
      <h2 id="failures-title">Recent failures</h2>
      {failures.length === 0 ? (
        <p className="muted">No failed or timed-out commands.</p>
      ) : (
        <ul className="plain-list">
          {failures.map((failure) => (
            <li key={failure.id}>
              <Link href={`/commands/${failure.id}`}>
                {humanize(failure.type)} on <bdi>{failure.hostname}</bdi>
              </Link>{" "}
              <StatusBadge value={failure.status} />{" "}
              <span className="muted">{formatRelative(failure.finishedAt)}</span>
              {failure.message ? <div className="muted small-text wrap">{failure.message}</div> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function RebootWaiting({ hosts, total }: { hosts: Overview["rebootRequiredHosts"]; total: number }) {
  return (
    <section className="card" aria-labelledby="reboot-title">
      <h2 id="reboot-title">Waiting for a reboot</h2>
      {hosts.length === 0 ? (
        <p className="muted">No host needs a reboot.</p>
      ) : (
        <ul className="plain-list">
          {hosts.map((host) => (
            <li key={host.id}>
              <Link href={`/agents/${host.id}`}>{host.hostname}</Link>
            </li>
          ))}
          {total > hosts.length ? (
            <li className="muted">and {formatCount(total - hosts.length)} more</li>
          ) : null}
        </ul>
      )}
    </section>
  );
}

export function BarList({
  entries,
}: {
  entries: { key: string; label: string; count: number; href: string; tone: string }[];
}) {
  const max = Math.max(1, ...entries.map((entry) => entry.count));
  return (
    <ul className="bar-list">
      {entries.map((entry) => (
        <li key={entry.key}>
          <Link href={entry.href} className="bar-row">
            <span className="bar-label">{entry.label}</span>
            <span className="bar-track" aria-hidden="true">
              <span
                className={`bar-fill tone-${entry.tone}`}
                style={{ width: `${(entry.count / max) * 100}%` }}
              />
            </span>
            <span className="bar-count">{formatCount(entry.count)}</span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
