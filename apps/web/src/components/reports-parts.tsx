"use client";

import { type GroupReport, reportFormats, reportKinds } from "@redflag/contracts";
import { formatCount, formatDuration, humanize, plural } from "~/lib/format";

/** A share of finished installs that succeeded: "—" when there were none. */
export function formatRate(rate: number | null): string {
  return rate === null ? "—" : `${Number((rate * 100).toFixed(1))}%`;
}

export function formatMeanTimeToPatch(seconds: number | null): string {
  return seconds === null ? "—" : formatDuration(seconds);
}

function rateNote(window: { succeeded: number; failed: number }) {
  return `${formatCount(window.succeeded)} succeeded, ${formatCount(window.failed)} failed`;
}

/** The fleet's (or a tag's) figures as six cards: compliance, security, time to patch, success rates. */
export function ReportStats({ report, complianceDays }: { report: GroupReport; complianceDays: number }) {
  const windows = [
    { key: "days7", label: "7 days" },
    { key: "days30", label: "30 days" },
    { key: "days90", label: "90 days" },
  ] as const;
  return (
    <section className="stats" aria-label="Fleet report">
      <div className="stat">
        <span className="stat-label">Hosts out of compliance</span>
        <span className={`stat-value${report.hostsOutOfCompliance > 0 ? " bad-text" : " ok-text"}`}>
          {formatCount(report.hostsOutOfCompliance)}
        </span>
        <span className="stat-note">
          of {formatCount(report.hosts)}: a security update waiting over {plural(complianceDays, "day")}
        </span>
      </div>
      <div className="stat">
        <span className="stat-label">Security updates waiting</span>
        <span className={`stat-value${report.pending.security > 0 ? " warn-text" : ""}`}>
          {formatCount(report.pending.security)}
        </span>
        <span className="stat-note">of {formatCount(report.pending.total)} pending updates</span>
      </div>
      <div className="stat">
        <span className="stat-label">Mean time to patch</span>
        <span className="stat-value">{formatMeanTimeToPatch(report.meanTimeToPatchSeconds)}</span>
        <span className="stat-note">
          first seen → installed, over {plural(report.patched, "installed update")}
        </span>
      </div>
      {windows.map((window) => (
        <div className="stat" key={window.key}>
          <span className="stat-label">Install success, {window.label}</span>
          <span className="stat-value">{formatRate(report.installs[window.key].rate)}</span>
          <span className="stat-note">{rateNote(report.installs[window.key])}</span>
        </div>
      ))}
    </section>
  );
}

/** The export route's address for one report in one format (it authenticates with the session cookie). */
function exportHref(report: (typeof reportKinds)[number], format: string, complianceDays: number) {
  const query = new URLSearchParams({ report, format, complianceDays: String(complianceDays) });
  return `/api/reports/export?${query}`;
}

/** Download links for each report in each format, at the threshold shown. */
export function Downloads({ complianceDays }: { complianceDays: number }) {
  return (
    <>
      {reportKinds.map((report) =>
        reportFormats.map((format) => (
          <a
            key={`${report}-${format}`}
            className="button small"
            href={exportHref(report, format, complianceDays)}
            download
          >
            {humanize(report)} {format.toUpperCase()}
          </a>
        )),
      )}
    </>
  );
}
