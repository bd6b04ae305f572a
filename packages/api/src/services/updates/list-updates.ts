import type { AgentId, PackageType, PolicyId, Severity, UpdateStatus } from "@redflag/contracts";
import { agents, type DatabaseOrTransaction, policies, severityRank, updates } from "@redflag/db";
import {
  and,
  asc,
  count,
  desc,
  eq,
  ilike,
  inArray,
  isNotNull,
  isNull,
  not,
  or,
  type SQL,
  sql,
} from "drizzle-orm";

export type UpdateFilterFields = {
  agentId?: AgentId;
  statuses?: UpdateStatus[];
  severities?: Severity[];
  packageTypes?: PackageType[];
  security?: boolean;
  /** Held on the host or by a hold policy (true), or by neither (false). */
  held?: boolean;
  search?: string;
};
export type ListUpdatesFilter = UpdateFilterFields & {
  sort: "packageName" | "severity" | "firstSeenAt" | "hostname";
  direction: "asc" | "desc";
  page: number;
  pageSize: number;
};

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);
/** Hosts a search may name; past this many, a search term is not a hostname search. */
const maxSearchedHosts = 1000;

/** The WHERE of the updates list; changes by filter use the same one, so they act on what was listed. */
export async function updateFilterCondition(
  db: DatabaseOrTransaction,
  filter: UpdateFilterFields,
): Promise<SQL | undefined> {
  const conditions: SQL[] = [];
  if (filter.agentId) conditions.push(eq(updates.agentId, filter.agentId));
  if (filter.statuses?.length) conditions.push(inArray(updates.status, filter.statuses));
  if (filter.severities?.length) conditions.push(inArray(updates.severity, filter.severities));
  if (filter.packageTypes?.length) conditions.push(inArray(updates.packageType, filter.packageTypes));
  if (filter.security !== undefined) conditions.push(eq(updates.security, filter.security));
  if (filter.held !== undefined) {
    const held = or(eq(updates.hostHeld, true), isNotNull(updates.heldByPolicyId));
    conditions.push(
      filter.held ? (held as SQL) : (and(not(updates.hostHeld), isNull(updates.heldByPolicyId)) as SQL),
    );
  }
  if (filter.search) {
    const pattern = `%${escapeLike(filter.search)}%`;
    const hosts = await db
      .select({ id: agents.id })
      .from(agents)
      .where(ilike(agents.hostname, pattern))
      .limit(maxSearchedHosts);
    const match =
      hosts.length > 0
        ? or(
            ilike(updates.packageName, pattern),
            inArray(
              updates.agentId,
              hosts.map((host) => host.id),
            ),
          )
        : ilike(updates.packageName, pattern);
    if (match) conditions.push(match);
  }
  return and(...conditions);
}

/**
 * One page of updates. Every sort order has an index (package name, first seen, severity rank,
 * and hostname through agents), and the search uses trigram indexes: a package name containing the
 * text, or a host whose name contains it (resolved to agent ids first, so both sides stay indexed).
 */
export async function listUpdates(db: DatabaseOrTransaction, filter: ListUpdatesFilter) {
  const where = await updateFilterCondition(db, filter);
  const order = filter.direction === "asc" ? asc : desc;
  const sortColumn = {
    // With a search, the matches (found through the trigram index) are few and get sorted; walking
    // the name index instead would read every name before the match (an unindexed copy prevents it).
    packageName: filter.search ? sql`(${updates.packageName} || '')` : updates.packageName,
    severity: severityRank(updates.severity),
    firstSeenAt: updates.firstSeenAt,
    hostname: agents.hostname,
  }[filter.sort];
  const [items, totals] = await Promise.all([
    db
      .select({
        id: updates.id,
        agentId: updates.agentId,
        hostname: agents.hostname,
        packageType: updates.packageType,
        packageName: updates.packageName,
        target: updates.target,
        currentVersion: updates.currentVersion,
        availableVersion: updates.availableVersion,
        installedVersion: updates.installedVersion,
        severity: updates.severity,
        security: updates.security,
        cves: updates.cves,
        source: updates.source,
        sizeBytes: updates.sizeBytes,
        metadata: updates.metadata,
        status: updates.status,
        lastCommandId: updates.lastCommandId,
        // Downloaded only while the cached version is still the one offered (a newer one needs another).
        downloadedAt:
          sql<Date | null>`case when ${updates.downloadedVersion} = ${updates.availableVersion} then ${updates.downloadedAt} end`.mapWith(
            updates.downloadedAt,
          ),
        firstSeenAt: updates.firstSeenAt,
        statusChangedAt: updates.statusChangedAt,
        hostHeld: updates.hostHeld,
        heldByPolicyId: updates.heldByPolicyId,
      })
      .from(updates)
      .innerJoin(agents, eq(agents.id, updates.agentId))
      .where(where)
      .orderBy(order(sortColumn), order(updates.id))
      .limit(filter.pageSize)
      .offset((filter.page - 1) * filter.pageSize),
    // Every update has its agent (a cascading foreign key), so the count needs no join.
    db.select({ total: count() }).from(updates).where(where),
  ]);
  const policyNames = await namesOfPolicies(
    db,
    items.flatMap((item) => item.heldByPolicyId ?? []),
  );
  return {
    items: items.map(({ heldByPolicyId, ...item }) => ({
      ...item,
      heldByPolicy:
        heldByPolicyId === null ? null : { id: heldByPolicyId, name: policyNames.get(heldByPolicyId) ?? "" },
    })),
    total: totals[0]?.total ?? 0,
  };
}

/** The names of the hold policies of one page's updates: looked up for the page only, never joined to the list. */
async function namesOfPolicies(db: DatabaseOrTransaction, ids: PolicyId[]): Promise<Map<PolicyId, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .select({ id: policies.id, name: policies.name })
    .from(policies)
    .where(inArray(policies.id, unique));
  return new Map(rows.map((row) => [row.id, row.name]));
}
