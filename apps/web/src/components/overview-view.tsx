"use client";

import { packageTypes, severities } from "@redflag/contracts";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatCount, formatRelative, humanize, packageTypeLabel } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { InstallsChart } from "./installs-chart";
import { EmptyState, Loading, PageHeader, QueryError, StatusBadge } from "./ui/basics";

export function OverviewView() {
  const trpc = useTRPC();
  const overview = useQuery({
    ...trpc.dashboard.overview.queryOptions({ days: 14 }),
    refetchInterval: 10_000,
  });

  if (overview.isPending) return <Loading what="the overview" />;
  if (overview.isError) return <QueryError error={overview.error} retry={() => overview.refetch()} />;
  const data = overview.data;
  const readiness = data.agents.total === 0 ? null : (data.agents.upToDate / data.agents.total) * 100;

  return (
    <>
      <PageHeader title="Overview" description="The fleet at a glance; refreshes every 10 seconds." />
      {data.agents.total === 0 ? (
        <EmptyState title="No agents yet">
          <Link href="/agents/add">Add an agent</Link> to see its pending updates here.
        </EmptyState>
      ) : null}
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

      <div className="grid-2">
        <section className="card" aria-labelledby="installs-title">
          <h2 id="installs-title">Installs, last 14 days</h2>
          <InstallsChart days={data.installs} />
        </section>
        <section className="card" aria-labelledby="failures-title">
          <h2 id="failures-title">Recent failures</h2>
          {data.recentFailures.length === 0 ? (
            <p className="muted">No failed or timed-out commands.</p>
          ) : (
            <ul className="plain-list">
              {data.recentFailures.map((failure) => (
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
      </div>

      <div className="grid-3">
        <section className="card" aria-labelledby="severity-title">
          <h2 id="severity-title">Pending by severity</h2>
          <BarList
            entries={severities.map((severity) => ({
              key: severity,
              label: humanize(severity),
              count: data.pending.bySeverity[severity],
              href: `/updates?severity=${severity}`,
              tone: severity,
            }))}
          />
        </section>
        <section className="card" aria-labelledby="type-title">
          <h2 id="type-title">Pending by type</h2>
          <BarList
            entries={packageTypes.map((type) => ({
              key: type,
              label: packageTypeLabel(type),
              count: data.pending.byPackageType[type],
              href: `/updates?packageType=${type}`,
              tone: "neutral",
            }))}
          />
        </section>
        <section className="card" aria-labelledby="reboot-title">
          <h2 id="reboot-title">Waiting for a reboot</h2>
          {data.rebootRequiredHosts.length === 0 ? (
            <p className="muted">No host needs a reboot.</p>
          ) : (
            <ul className="plain-list">
              {data.rebootRequiredHosts.map((host) => (
                <li key={host.id}>
                  <Link href={`/agents/${host.id}`}>{host.hostname}</Link>
                </li>
              ))}
              {data.agents.rebootRequired > data.rebootRequiredHosts.length ? (
                <li className="muted">
                  and {formatCount(data.agents.rebootRequired - data.rebootRequiredHosts.length)} more
                </li>
              ) : null}
            </ul>
          )}
        </section>
      </div>
    </>
  );
}

function BarList({
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
