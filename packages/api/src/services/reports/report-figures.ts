import type { GroupReport } from "@redflag/contracts";
import { type SQL, sql } from "drizzle-orm";

const dayMs = 86_400_000;

/** What one report is asked for: the compliance threshold and the time it is computed at. */
export type ReportOptions = { complianceDays: number; now?: Date };

/** The UTC day a success-rate window of `days` starts on (today counts as its last day). */
export function windowStart(now: Date, days: number): string {
  const today = Math.floor(now.getTime() / dayMs) * dayMs;
  return new Date(today - (days - 1) * dayMs).toISOString().slice(0, 10);
}

/** A host is out of compliance when a security update has waited longer than this instant. */
export function complianceCutoff(now: Date, complianceDays: number): string {
  return new Date(now.getTime() - complianceDays * dayMs).toISOString();
}

/**
 * Each agent's rollup joined with its install outcomes per window: one row per agent, read from the
 * rollup tables only (never from `updates` or `commands`). `where` narrows the agents.
 */
export function hostFigures(
  options: Required<ReportOptions>,
  where: SQL = sql`true`,
  /** Narrows the install outcomes read to these agents (a page of hosts) instead of every agent's. */
  outcomeAgents: SQL = sql`true`,
) {
  const { now, complianceDays } = options;
  return sql`
    with outcomes as (
      select agent_id,
        sum(succeeded) filter (where day >= ${windowStart(now, 7)}::date)::int as succeeded7,
        sum(failed + timed_out) filter (where day >= ${windowStart(now, 7)}::date)::int as failed7,
        sum(succeeded) filter (where day >= ${windowStart(now, 30)}::date)::int as succeeded30,
        sum(failed + timed_out) filter (where day >= ${windowStart(now, 30)}::date)::int as failed30,
        sum(succeeded)::int as succeeded90,
        sum(failed + timed_out)::int as failed90
      from install_outcome_days
      where day >= ${windowStart(now, 90)}::date and ${outcomeAgents}
      group by agent_id
    )
    select
      a.id as agent_id, a.hostname, a.tags,
      coalesce(r.pending_critical, 0) as critical,
      coalesce(r.pending_important, 0) as important,
      coalesce(r.pending_moderate, 0) as moderate,
      coalesce(r.pending_low, 0) as low,
      coalesce(r.pending_unknown, 0) as unknown,
      coalesce(r.pending_security, 0) as security,
      coalesce(r.installed, 0) as patched,
      coalesce(r.patch_seconds, 0)::float8 as patch_seconds,
      (extract(epoch from r.oldest_security_pending_since) * 1000)::float8 as oldest_security_ms,
      coalesce(r.oldest_security_pending_since < ${complianceCutoff(now, complianceDays)}::timestamptz, false)
        as out_of_compliance,
      coalesce(o.succeeded7, 0) as succeeded7, coalesce(o.failed7, 0) as failed7,
      coalesce(o.succeeded30, 0) as succeeded30, coalesce(o.failed30, 0) as failed30,
      coalesce(o.succeeded90, 0) as succeeded90, coalesce(o.failed90, 0) as failed90
    from agents a
    left join agent_update_rollups r on r.agent_id = a.id
    left join outcomes o on o.agent_id = a.id
    where ${where}`;
}

/** Sums of `hostFigures` columns over a group of hosts (the fleet, or one tag's). */
export const groupSums = sql`
  count(*)::int as hosts,
  (count(*) filter (where out_of_compliance))::int as hosts_out_of_compliance,
  coalesce(sum(critical), 0)::int as critical, coalesce(sum(important), 0)::int as important,
  coalesce(sum(moderate), 0)::int as moderate, coalesce(sum(low), 0)::int as low,
  coalesce(sum(unknown), 0)::int as unknown, coalesce(sum(security), 0)::int as security,
  coalesce(sum(patched), 0)::int as patched, coalesce(sum(patch_seconds), 0)::float8 as patch_seconds,
  coalesce(sum(succeeded7), 0)::int as succeeded7, coalesce(sum(failed7), 0)::int as failed7,
  coalesce(sum(succeeded30), 0)::int as succeeded30, coalesce(sum(failed30), 0)::int as failed30,
  coalesce(sum(succeeded90), 0)::int as succeeded90, coalesce(sum(failed90), 0)::int as failed90`;

/** A row carrying the figures both `hostFigures` and `groupSums` produce. */
export type FigureRow = {
  critical: number;
  important: number;
  moderate: number;
  low: number;
  unknown: number;
  security: number;
  patched: number;
  patch_seconds: number;
  succeeded7: number;
  failed7: number;
  succeeded30: number;
  failed30: number;
  succeeded90: number;
  failed90: number;
};

export type GroupRow = FigureRow & { hosts: number; hosts_out_of_compliance: number };

function rate(succeeded: number, failed: number) {
  const total = succeeded + failed;
  return { succeeded, failed, rate: total === 0 ? null : succeeded / total };
}

/** The patching figures of a row, as the contracts name them. */
export function patchingOf(row: FigureRow): Omit<GroupReport, "hosts" | "hostsOutOfCompliance"> {
  const critical = Number(row.critical);
  const important = Number(row.important);
  const moderate = Number(row.moderate);
  const low = Number(row.low);
  const unknown = Number(row.unknown);
  const patched = Number(row.patched);
  return {
    pending: {
      critical,
      important,
      moderate,
      low,
      unknown,
      total: critical + important + moderate + low + unknown,
      security: Number(row.security),
    },
    patched,
    meanTimeToPatchSeconds: patched === 0 ? null : Number(row.patch_seconds) / patched,
    installs: {
      days7: rate(Number(row.succeeded7), Number(row.failed7)),
      days30: rate(Number(row.succeeded30), Number(row.failed30)),
      days90: rate(Number(row.succeeded90), Number(row.failed90)),
    },
  };
}

export function groupOf(row: GroupRow): GroupReport {
  return {
    hosts: Number(row.hosts),
    hostsOutOfCompliance: Number(row.hosts_out_of_compliance),
    ...patchingOf(row),
  };
}
