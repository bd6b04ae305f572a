"use client";

import { defaultComplianceDays, severities } from "@redflag/contracts";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { humanize } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { BarList } from "./overview-parts";
import { Downloads, ReportStats } from "./reports-parts";
import { HostReportTable, TagReportTable } from "./reports-tables";
import { Loading, PageHeader, Pagination, QueryError } from "./ui/basics";
import { EnumFilter } from "./ui/enum-filter";

/** A threshold typed in is used once it is a whole number of days from 1 to 365. */
function parseDays(text: string): number | null {
  const days = Number(text);
  return Number.isInteger(days) && days >= 1 && days <= 365 ? days : null;
}

export function ReportsView() {
  const trpc = useTRPC();
  const [daysText, setDaysText] = useState(String(defaultComplianceDays));
  const [tag, setTag] = useState<string | null>(null);
  const [onlyOut, setOnlyOut] = useState(false);
  const [page, setPage] = useState(1);
  const [complianceDays, setComplianceDays] = useState(defaultComplianceDays);
  const summary = useQuery({
    ...trpc.reports.summary.queryOptions({ complianceDays }),
    placeholderData: keepPreviousData,
  });
  const hosts = useQuery({
    ...trpc.reports.hosts.queryOptions({
      complianceDays,
      tag: tag ?? undefined,
      outOfCompliance: onlyOut,
      page,
    }),
    placeholderData: keepPreviousData,
  });

  if (summary.isPending) return <Loading what="the reports" />;
  if (summary.isError) return <QueryError error={summary.error} retry={() => summary.refetch()} />;
  const data = summary.data;
  const tags = data.tags.flatMap((row) => (row.tag === null ? [] : [row.tag]));
  const daysValid = parseDays(daysText) !== null;

  return (
    <>
      <PageHeader
        title="Reports"
        description="Patching by fleet, tag and host: what waits, how fast updates get installed, and how often installs succeed."
        actions={<Downloads complianceDays={complianceDays} />}
      />
      <section className="filters" aria-label="Report options">
        <label className="field">
          <span>Compliance threshold (days)</span>
          <input
            type="number"
            inputMode="numeric"
            min={1}
            max={365}
            value={daysText}
            aria-invalid={!daysValid}
            onChange={(event) => {
              setDaysText(event.target.value);
              const days = parseDays(event.target.value);
              if (days !== null) {
                setComplianceDays(days);
                setPage(1);
              }
            }}
          />
        </label>
        <EnumFilter
          label="Tag"
          value={tag ?? undefined}
          options={tags.map((value) => ({ value, label: value }))}
          onChange={(value) => {
            setTag(value);
            setPage(1);
          }}
        />
        <EnumFilter
          label="Hosts"
          anyLabel="All hosts"
          value={onlyOut ? "out" : undefined}
          options={[{ value: "out", label: "Out of compliance only" }]}
          onChange={(value) => {
            setOnlyOut(value === "out");
            setPage(1);
          }}
        />
      </section>
      {daysValid ? null : (
        <p className="form-error" role="alert">
          The threshold is a whole number of days from 1 to 365.
        </p>
      )}
      <ReportStats report={data.fleet} complianceDays={data.complianceDays} />
      <div className="grid-2">
        <section className="card" aria-labelledby="report-severity-title">
          <h2 id="report-severity-title">Pending by severity</h2>
          <BarList
            entries={severities.map((severity) => ({
              key: severity,
              label: humanize(severity),
              count: data.fleet.pending[severity],
              href: `/updates?severity=${severity}`,
              tone: severity,
            }))}
          />
        </section>
        <section className="card" aria-labelledby="report-tags-title">
          <h2 id="report-tags-title">By tag</h2>
          <TagReportTable rows={data.tags} />
        </section>
      </div>
      <section className="card" aria-labelledby="report-hosts-title">
        <h2 id="report-hosts-title">By host</h2>
        {hosts.isError ? <QueryError error={hosts.error} retry={() => hosts.refetch()} /> : null}
        {hosts.data ? (
          <>
            <HostReportTable rows={hosts.data.items} busy={hosts.isFetching} />
            <Pagination
              page={hosts.data.page}
              pageSize={hosts.data.pageSize}
              total={hosts.data.total}
              onPage={setPage}
              what="hosts"
            />
          </>
        ) : (
          <Loading what="the hosts" />
        )}
      </section>
    </>
  );
}
