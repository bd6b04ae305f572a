import {
  type AgentId,
  newId,
  openUpdateStatuses,
  type ReportScanInput,
  type ScanItem,
  type UpdateStatus,
} from "@redflag/contracts";
import { agents, type DatabaseOrTransaction, type ScanScannerSummary, scans, updates } from "@redflag/db";
import { and, eq, inArray } from "drizzle-orm";
import type { Actor } from "../../actor.ts";
import { AppError } from "../../errors.ts";
import { type AuditEntry, recordAuditEvents } from "../audit/record-audit-events.ts";

type UpdateRow = typeof updates.$inferSelect;

const keyOf = (packageName: string, target: string) => `${packageName}\u0000${target}`;

/** Statuses whose approval or verdict was about one version: a new version starts over as `available`. */
const perVersionStatuses: readonly UpdateStatus[] = ["approved", "failed", "rejected"];

/**
 * Reconciles a scan report: for every scanner that succeeded, the report is the full truth. New items
 * open updates, changed items are updated, and open updates it no longer lists are `resolved`.
 * A scanner that failed leaves its updates as they were. The same report twice changes nothing.
 */
export async function reportScan(
  db: DatabaseOrTransaction,
  options: { agentId: AgentId; report: ReportScanInput },
) {
  const actor: Actor = { type: "agent", agentId: options.agentId };
  const now = new Date();
  const counts = { opened: 0, changed: 0, closed: 0, unchanged: 0 };
  for (const scanner of options.report.scanners) {
    if (scanner.status !== "ok") continue;
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
    }
  }
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
    const audit: AuditEntry[] = [];
    const summaries: ScanScannerSummary[] = [];
    for (const scanner of options.report.scanners) {
      if (scanner.status === "error") {
        summaries.push({
          packageType: scanner.packageType,
          status: "error",
          error: scanner.error,
          errorKind: scanner.kind,
          retryable: scanner.retryable,
          itemCount: 0,
        });
        continue;
      }
      summaries.push({
        packageType: scanner.packageType,
        status: "ok",
        error: null,
        errorKind: null,
        retryable: false,
        itemCount: scanner.items.length,
      });
      const existing = await tx
        .select()
        .from(updates)
        .where(and(eq(updates.agentId, options.agentId), eq(updates.packageType, scanner.packageType)))
        .for("update");
      const byKey = new Map(existing.map((row) => [keyOf(row.packageName, row.target), row]));
      const inserts: (typeof updates.$inferInsert)[] = [];
      const reported = new Set<string>();
      for (const item of scanner.items) {
        const key = keyOf(item.packageName, item.target);
        reported.add(key);
        const row = byKey.get(key);
        if (!row) {
          const id = newId("update");
          inserts.push({
            id,
            agentId: options.agentId,
            packageType: scanner.packageType,
            ...fieldsOf(item),
            status: "available",
          });
          audit.push({
            action: "update.available",
            entityType: "update",
            entityId: id,
            after: {
              status: "available",
              packageName: item.packageName,
              availableVersion: item.availableVersion,
            },
          });
          counts.opened++;
          continue;
        }
        const status = nextStatus(row, item);
        if (status === row.status && !fieldsDiffer(row, item)) {
          counts.unchanged++;
          continue;
        }
        await tx
          .update(updates)
          .set({
            ...fieldsOf(item),
            status,
            lastSeenAt: now,
            ...(status !== row.status ? { statusChangedAt: now, installedVersion: null } : {}),
          })
          .where(eq(updates.id, row.id));
        audit.push({
          action: status !== row.status ? `update.${status}` : "update.changed",
          entityType: "update",
          entityId: row.id,
          before: {
            status: row.status,
            currentVersion: row.currentVersion,
            availableVersion: row.availableVersion,
          },
          after: { status, currentVersion: item.currentVersion, availableVersion: item.availableVersion },
        });
        if (status !== row.status && (row.status === "installed" || row.status === "resolved"))
          counts.opened++;
        else counts.changed++;
      }
      for (let start = 0; start < inserts.length; start += 500) {
        await tx.insert(updates).values(inserts.slice(start, start + 500));
      }
      const gone = existing.filter(
        (row) =>
          !reported.has(keyOf(row.packageName, row.target)) &&
          (openUpdateStatuses as readonly string[]).includes(row.status),
      );
      for (let start = 0; start < gone.length; start += 1000) {
        await tx
          .update(updates)
          .set({ status: "resolved", statusChangedAt: now })
          .where(
            inArray(
              updates.id,
              gone.slice(start, start + 1000).map((row) => row.id),
            ),
          );
      }
      for (const row of gone) {
        audit.push({
          action: "update.resolved",
          entityType: "update",
          entityId: row.id,
          before: { status: row.status },
          after: { status: "resolved", reason: "no longer reported by the agent" },
        });
      }
      counts.closed += gone.length;
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
    await recordAuditEvents(tx, { actor, entries: audit });
    return { scanId, duplicate: false, ...counts };
  });
}

function fieldsOf(item: ScanItem) {
  return {
    packageName: item.packageName,
    target: item.target,
    currentVersion: item.currentVersion,
    availableVersion: item.availableVersion,
    severity: item.severity,
    security: item.security,
    cves: item.cves,
    source: item.source,
    sizeBytes: item.sizeBytes,
    metadata: item.metadata,
  };
}

function nextStatus(row: UpdateRow, item: ScanItem): UpdateStatus {
  if (row.status === "installed" || row.status === "resolved") return "available";
  if (row.availableVersion !== item.availableVersion && perVersionStatuses.includes(row.status)) {
    return "available";
  }
  return row.status;
}

function fieldsDiffer(row: UpdateRow, item: ScanItem): boolean {
  return (
    row.currentVersion !== item.currentVersion ||
    row.availableVersion !== item.availableVersion ||
    row.severity !== item.severity ||
    row.security !== item.security ||
    row.source !== item.source ||
    row.sizeBytes !== item.sizeBytes ||
    JSON.stringify(row.cves) !== JSON.stringify(item.cves) ||
    stableJson(row.metadata) !== stableJson(item.metadata)
  );
}

/** JSON with sorted keys: jsonb does not keep key order, so plain JSON.stringify could differ. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
}
