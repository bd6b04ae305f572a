import {
  type AgentId,
  newId,
  openUpdateStatuses,
  type PackageType,
  type ReportScanInput,
  type ScanItem,
  type UpdateId,
  type UpdateStatus,
} from "@redflag/contracts";
import { agents, type DatabaseOrTransaction, rowsOf, type ScanScannerSummary, scans } from "@redflag/db";
import { and, eq, sql } from "drizzle-orm";
import type { Actor } from "../../actor.ts";
import type { RateLimitRule } from "../../config.ts";
import { AppError } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { type ReconciledUpdates, scanReconciledAction } from "../audit/scan-audit-event.ts";
import { storeVirtualization } from "../proxmox/store-virtualization.ts";
import { consumeRateLimit } from "../rate-limits/consume-rate-limit.ts";

/**
 * Reports one agent may send in a window. An agent reports after each scan (scheduled, asked for, or
 * after an install); a burst beyond this is a loop, and each report holds the agent's lock while it
 * is reconciled. The agent keeps a refused report in its outbox and sends it again later.
 */
export const reportScanRateLimit: RateLimitRule = { limit: 10, windowSeconds: 60 };

const keyOf = (packageName: string, target: string) => `${packageName}\u0000${target}`;

/** Statuses whose approval or verdict was about one version: a new version starts over as `available`. */
const perVersionStatuses: readonly UpdateStatus[] = ["approved", "failed", "rejected"];
/** Statuses of an update that was done with: reported again, it is open again. */
const doneStatuses: readonly UpdateStatus[] = ["installed", "resolved"];

type Counts = { opened: number; changed: number; closed: number; unchanged: number };

/**
 * Reconciles a scan report: for every scanner that succeeded, the report is the full truth. New items
 * open updates, changed items are updated, and open updates it no longer lists are `resolved`.
 * A scanner that failed leaves its updates as they were. The same report twice changes nothing.
 *
 * Each scanner is reconciled in three set-based statements (update changed, insert new, close missing),
 * so a report's cost grows with its size inside the database, not with round trips. The changes are
 * recorded as one audit event per report (counts and the ids of the updates changed).
 */
export async function reportScan(
  db: DatabaseOrTransaction,
  options: { agentId: AgentId; report: ReportScanInput; rateLimit?: RateLimitRule },
) {
  await consumeRateLimit(db, {
    key: `report-scan:${options.agentId}`,
    rule: options.rateLimit ?? reportScanRateLimit,
    what: "scan report",
  });
  const actor: Actor = { type: "agent", agentId: options.agentId };
  const now = new Date();
  // Everything that needs no database is done before the transaction, which holds the agent's lock.
  const rows: ReturnType<typeof rowOf>[] = [];
  const reconciledTypes: PackageType[] = [];
  for (const scanner of options.report.scanners) {
    if (scanner.status !== "ok") continue;
    reconciledTypes.push(scanner.packageType);
    const seen = new Set<string>();
    for (const item of scanner.items) {
      const key = keyOf(item.packageName, item.target);
      if (seen.has(key)) {
        throw new AppError(
          "BAD_REQUEST",
          `The ${scanner.packageType} report lists ${item.packageName}${item.target ? ` (${item.target})` : ""} twice`,
        );
      }
      seen.add(key);
      rows.push(rowOf(scanner.packageType, item));
    }
  }
  const items = JSON.stringify(rows);
  return db.transaction(async (tx) => {
    // One report of an agent at a time; then a redelivered report finds the first delivery's row.
    await tx.select({ id: agents.id }).from(agents).where(eq(agents.id, options.agentId)).for("update");
    if (options.report.reportId) {
      const [earlier] = await tx
        .select()
        .from(scans)
        .where(and(eq(scans.agentId, options.agentId), eq(scans.reportId, options.report.reportId)));
      if (earlier) {
        const { opened, changed, closed, unchanged } = earlier;
        return { scanId: earlier.id, duplicate: true, opened, changed, closed, unchanged };
      }
    }
    const summaries: ScanScannerSummary[] = options.report.scanners.map((scanner) =>
      scanner.status === "error"
        ? {
            packageType: scanner.packageType,
            status: "error",
            error: scanner.error,
            errorKind: scanner.kind,
            retryable: scanner.retryable,
            itemCount: 0,
          }
        : {
            packageType: scanner.packageType,
            status: "ok",
            error: null,
            errorKind: null,
            retryable: false,
            itemCount: scanner.items.length,
          },
    );
    const counts: Counts = { opened: 0, changed: 0, closed: 0, unchanged: 0 };
    const reconciled: ReconciledUpdates = {};
    if (reconciledTypes.length > 0) {
      const changes = await reconcile(tx, {
        agentId: options.agentId,
        packageTypes: reconciledTypes,
        items,
        now,
      });
      for (const change of changes) {
        const action = actionOf(change);
        const ids = reconciled[action];
        if (ids) ids.push(change.id);
        else reconciled[action] = [change.id];
        if (change.phase === "closed") counts.closed++;
        else if (isOpened(change)) counts.opened++;
        else counts.changed++;
      }
      counts.unchanged = rows.length - counts.opened - counts.changed;
      for (const ids of Object.values(reconciled)) ids.sort();
    }
    const scanId = newId("scan");
    await tx.insert(scans).values({
      id: scanId,
      agentId: options.agentId,
      scanners: summaries,
      ...counts,
      reportId: options.report.reportId ?? null,
      startedAt: options.report.startedAt,
      finishedAt: options.report.finishedAt,
    });
    await tx.update(agents).set({ lastScanAt: now }).where(eq(agents.id, options.agentId));
    await storeVirtualization(tx, {
      agentId: options.agentId,
      virtualization: options.report.virtualization,
      now,
    });
    if (counts.opened + counts.changed + counts.closed > 0) {
      await recordAuditEvents(tx, {
        actor,
        entries: [
          {
            action: scanReconciledAction,
            entityType: "agent",
            entityId: options.agentId,
            after: { scanId, ...counts, updates: reconciled },
          },
        ],
      });
    }
    return { scanId, duplicate: false, ...counts };
  });
}

/** The action an update would have had alone: its new status, or `update.changed` if only facts changed. */
function actionOf(change: Change): string {
  if (change.phase === "inserted") return "update.available";
  if (change.phase === "closed") return "update.resolved";
  return change.status === change.before_status ? "update.changed" : `update.${change.status}`;
}

/** Reported again after it was done with, an update is opened again; anything else is a change. */
function isOpened(change: Change): boolean {
  if (change.phase === "inserted") return true;
  return (
    change.phase === "updated" &&
    change.status !== change.before_status &&
    doneStatuses.includes(change.before_status)
  );
}

type Scope = { agentId: AgentId; packageTypes: PackageType[]; items: string; now: Date };
type Change =
  | { phase: "updated"; id: UpdateId; status: UpdateStatus; before_status: UpdateStatus }
  | { phase: "inserted" | "closed"; id: UpdateId; status: null; before_status: null };

/** One reported item as a row of the report's table (see `loadReportItems`). */
function rowOf(packageType: PackageType, item: ScanItem) {
  return {
    id: newId("update"),
    package_type: packageType,
    package_name: item.packageName,
    target: item.target,
    current_version: item.currentVersion,
    available_version: item.availableVersion,
    severity: item.severity,
    security: item.security,
    cves: item.cves,
    source: item.source,
    size_bytes: item.sizeBytes,
    metadata: item.metadata,
    host_held: item.held ?? false,
  };
}

const inList = (values: readonly string[]) =>
  sql.join(
    values.map((value) => sql`${value}`),
    sql`, `,
  );

/**
 * Reconciles the agent's updates of the reported package types with the report's items in one
 * statement, one set-based part per phase (the report crosses into the database once):
 * - updated: rows the report lists with other facts than stored. A row that was done with opens
 *   again; a new version of a per-version verdict starts over as available (jsonb compares by value,
 *   so metadata with its keys in another order is no change). Only rows that change are locked.
 * - inserted: an update for every listed item the agent has no row for.
 * - closed: open updates the report no longer lists are resolved; `installing` ones wait for their result.
 * The parts touch disjoint rows, so that they all read the state from before the statement is fine.
 */
async function reconcile(tx: DatabaseOrTransaction, scope: Scope): Promise<Change[]> {
  const now = scope.now.toISOString();
  const agentTypes = sql`stored.agent_id = ${scope.agentId}
    and stored.package_type in (${inList(scope.packageTypes)})`;
  return rowsOf<Change>(
    await tx.execute(sql`
      with item as materialized (
        select * from jsonb_to_recordset(${scope.items}::jsonb) as item(
          id text, package_type text, package_name text, target text, current_version text,
          available_version text, severity text, security boolean, cves jsonb, source text,
          size_bytes bigint, metadata jsonb, host_held boolean)
      ),
      changing as (
        select stored.id, stored.before_status,
          case
            when stored.before_status in (${inList(doneStatuses)}) then 'available'
            when stored.available_version <> item.available_version
              and stored.before_status in (${inList(perVersionStatuses)}) then 'available'
            else stored.before_status
          end as status,
          item.current_version, item.available_version, item.severity, item.security, item.cves,
          item.source, item.size_bytes, item.metadata, item.host_held
        from item
        -- Item by item through the unique index, whatever the planner believes of the table's size.
        cross join lateral (
          select stored.id, stored.status as before_status, stored.available_version
          from updates stored
          where stored.agent_id = ${scope.agentId} and stored.package_type = item.package_type
            and stored.package_name = item.package_name and stored.target = item.target
            and (stored.status in (${inList(doneStatuses)})
              or stored.current_version is distinct from item.current_version
              or stored.available_version <> item.available_version
              or stored.severity <> item.severity
              or stored.security <> item.security
              or stored.source is distinct from item.source
              or stored.size_bytes is distinct from item.size_bytes
              or stored.cves <> item.cves
              or stored.metadata <> item.metadata
              or stored.host_held <> item.host_held)
          for update
        ) stored
      ),
      updated as (
        update updates set
          current_version = changing.current_version,
          available_version = changing.available_version,
          severity = changing.severity,
          security = changing.security,
          cves = changing.cves,
          source = changing.source,
          size_bytes = changing.size_bytes,
          metadata = changing.metadata,
          host_held = changing.host_held,
          status = changing.status,
          last_seen_at = ${now}::timestamptz,
          status_changed_at = case when changing.status <> changing.before_status
            then ${now}::timestamptz else updates.status_changed_at end,
          installed_version = case when changing.status <> changing.before_status
            then null else updates.installed_version end
        from changing
        where updates.id = changing.id
        returning updates.id, updates.status, changing.before_status
      ),
      inserted as (
        insert into updates (id, agent_id, package_type, package_name, target, current_version,
          available_version, severity, security, cves, source, size_bytes, metadata, host_held, status)
        select item.id, ${scope.agentId}, item.package_type, item.package_name, item.target,
          item.current_version, item.available_version, item.severity, item.security, item.cves,
          item.source, item.size_bytes, item.metadata, item.host_held, 'available'
        from item
        where not exists (
          select 1 from updates stored
          where stored.agent_id = ${scope.agentId} and stored.package_type = item.package_type
            and stored.package_name = item.package_name and stored.target = item.target)
        returning id
      ),
      closed as (
        update updates stored set status = 'resolved', status_changed_at = ${now}::timestamptz
        where ${agentTypes}
          and stored.status in (${inList(openUpdateStatuses)})
          and (stored.package_type, stored.package_name, stored.target)
            not in (select item.package_type, item.package_name, item.target from item)
        returning id
      )
      select 'updated' as phase, id, status, before_status from updated
      union all select 'inserted', id, null, null from inserted
      union all select 'closed', id, null, null from closed`),
  );
}
