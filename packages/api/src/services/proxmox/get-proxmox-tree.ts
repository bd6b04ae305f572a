import type {
  AgentId,
  ProxmoxTree,
  TreeAgent,
  TreeGuest,
  TreeNode,
  UpdateCounts,
  UpdateStatus,
} from "@redflag/contracts";
import {
  agents,
  type DatabaseOrTransaction,
  proxmoxGuests,
  proxmoxNodes,
  updates,
  virtualGuests,
} from "@redflag/db";
import { and, asc, count, eq, inArray, sql } from "drizzle-orm";
import { guestKey, linkGuests } from "./link-guests.ts";

/** What the tree counts (and a subtree install takes): updates not yet installed nor dealt with. */
export const pendingStatuses: UpdateStatus[] = ["available", "approved"];

/**
 * The Proxmox hierarchy: cluster → node → LXC/VM (linked to the agent inside it, or shown without
 * one) → the Docker image updates of each host, with pending and security counts rolled up from the
 * guests to their node and cluster.
 */
export async function getProxmoxTree(db: DatabaseOrTransaction): Promise<ProxmoxTree> {
  const nodes = await db
    .select({
      agentId: proxmoxNodes.agentId,
      hostname: agents.hostname,
      cluster: proxmoxNodes.cluster,
      node: proxmoxNodes.node,
      version: proxmoxNodes.version,
      reportedAt: proxmoxNodes.reportedAt,
    })
    .from(proxmoxNodes)
    .innerJoin(agents, eq(agents.id, proxmoxNodes.agentId))
    .orderBy(asc(proxmoxNodes.cluster), asc(proxmoxNodes.node), asc(proxmoxNodes.agentId));
  if (nodes.length === 0) return { clusters: [] };
  const guests = await db
    .select()
    .from(proxmoxGuests)
    .orderBy(asc(proxmoxGuests.nodeAgentId), asc(proxmoxGuests.vmid));
  const guestAgents = await db
    .select({
      agentId: virtualGuests.agentId,
      hostname: agents.hostname,
      kind: virtualGuests.kind,
      machineId: virtualGuests.machineId,
      productUuid: virtualGuests.productUuid,
    })
    .from(virtualGuests)
    .innerJoin(agents, eq(agents.id, virtualGuests.agentId));
  const links = linkGuests(guests, guestAgents);
  const hostnames = new Map<AgentId, string>([
    ...nodes.map((node) => [node.agentId, node.hostname] as const),
    ...guestAgents.map((agent) => [agent.agentId, agent.hostname] as const),
  ]);
  const linkedIds = [...links.values()].flatMap((link) => (link.link === "linked" ? [link.agentId] : []));
  const treeAgents = await readTreeAgents(
    db,
    [...nodes.map((node) => node.agentId), ...linkedIds],
    hostnames,
  );

  const clusters = new Map<string | null, TreeNode[]>();
  for (const node of nodes) {
    const agent = treeAgents.get(node.agentId) ?? emptyAgent(node.agentId, node.hostname);
    const nodeGuests: TreeGuest[] = guests
      .filter((guest) => guest.nodeAgentId === node.agentId)
      .map((guest) => {
        const link = links.get(guestKey(guest.nodeAgentId, guest.vmid)) ?? { link: "no_agent" as const };
        const guestAgent = link.link === "linked" ? (treeAgents.get(link.agentId) ?? null) : null;
        return {
          vmid: guest.vmid,
          type: guest.type,
          name: guest.name,
          status: guest.status,
          os: guest.os,
          link: link.link,
          agent: guestAgent,
          counts: guestAgent?.counts ?? zero(),
        };
      });
    const treeNode: TreeNode = {
      node: node.node,
      version: node.version,
      reportedAt: node.reportedAt,
      agent,
      guests: nodeGuests,
      counts: sum([agent.counts, ...nodeGuests.map((guest) => guest.counts)]),
    };
    clusters.set(node.cluster, [...(clusters.get(node.cluster) ?? []), treeNode]);
  }
  return {
    clusters: [...clusters].map(([name, clusterNodes]) => ({
      name,
      nodes: clusterNodes,
      counts: sum(clusterNodes.map((node) => node.counts)),
    })),
  };
}

/** Each agent's pending and security counts and its pending Docker image updates (with their containers). */
async function readTreeAgents(
  db: DatabaseOrTransaction,
  agentIds: AgentId[],
  hostnames: Map<AgentId, string>,
): Promise<Map<AgentId, TreeAgent>> {
  const ids = [...new Set(agentIds)];
  const pending = and(inArray(updates.agentId, ids), inArray(updates.status, pendingStatuses));
  const [counts, images] = await Promise.all([
    db
      .select({
        agentId: updates.agentId,
        pending: count(),
        security: sql<number>`(count(*) filter (where ${updates.security}))::int`,
      })
      .from(updates)
      .where(pending)
      .groupBy(updates.agentId),
    db
      .select({
        agentId: updates.agentId,
        updateId: updates.id,
        image: updates.packageName,
        availableVersion: updates.availableVersion,
        security: updates.security,
        metadata: updates.metadata,
      })
      .from(updates)
      .where(and(pending, eq(updates.packageType, "docker")))
      .orderBy(asc(updates.packageName), asc(updates.id)),
  ]);
  const result = new Map<AgentId, TreeAgent>();
  for (const id of ids) result.set(id, emptyAgent(id, hostnames.get(id) ?? id));
  for (const row of counts) {
    const agent = result.get(row.agentId);
    if (agent) agent.counts = { pending: Number(row.pending), security: Number(row.security) };
  }
  for (const row of images) {
    result.get(row.agentId)?.docker.push({
      updateId: row.updateId,
      image: row.image,
      availableVersion: row.availableVersion,
      security: row.security,
      containers: containersOf(row.metadata),
    });
  }
  return result;
}

/** The Docker scanner lists the containers running an image in `metadata.containers`. */
function containersOf(metadata: Record<string, unknown>): string[] {
  const containers = metadata.containers;
  return Array.isArray(containers)
    ? containers.filter((name): name is string => typeof name === "string").slice(0, 100)
    : [];
}

function emptyAgent(agentId: AgentId, hostname: string): TreeAgent {
  return { agentId, hostname, counts: zero(), docker: [] };
}

const zero = (): UpdateCounts => ({ pending: 0, security: 0 });

function sum(counts: UpdateCounts[]): UpdateCounts {
  return counts.reduce(
    (total, each) => ({ pending: total.pending + each.pending, security: total.security + each.security }),
    zero(),
  );
}
