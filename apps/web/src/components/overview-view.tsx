"use client";

import { packageTypes, severities } from "@redflag/contracts";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { humanize, packageTypeLabel } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { InstallsChart } from "./installs-chart";
import { BarList, FleetStats, PatchingStats, RebootWaiting, RecentFailures } from "./overview-parts";
import { EmptyState, Loading, PageHeader, QueryError } from "./ui/basics";

export function OverviewView() {
  const trpc = useTRPC();
  const overview = useQuery({
    ...trpc.dashboard.overview.queryOptions({ days: 14 }),
    refetchInterval: 10_000,
  });

  if (overview.isPending) return <Loading what="the overview" />;
  if (overview.isError) return <QueryError error={overview.error} retry={() => overview.refetch()} />;
  const data = overview.data;

  return (
    <>
      <PageHeader title="Overview" description="The fleet at a glance; refreshes every 10 seconds." />
      {data.agents.total === 0 ? (
        <EmptyState title="No agents yet">
          <Link href="/agents/add">Add an agent</Link> to see its pending updates here.
        </EmptyState>
      ) : null}
      <FleetStats data={data} />
      <PatchingStats reports={data.reports} />
      <div className="grid-2">
        <section className="card" aria-labelledby="installs-title">
          <h2 id="installs-title">Installs, last 14 days</h2>
          <InstallsChart days={data.installs} />
        </section>
        <RecentFailures failures={data.recentFailures} />
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
        <RebootWaiting hosts={data.rebootRequiredHosts} total={data.agents.rebootRequired} />
      </div>
    </>
  );
}
