"use client";

import type { AgentId, ProxmoxTree, TreeAgent, TreeGuest, TreeNode, UpdateCounts } from "@redflag/contracts";
import Link from "next/link";
import { plural } from "~/lib/format";
import { useCan } from "./session";
import { StatusBadge } from "./ui/basics";
import { Untrusted } from "./ui/text";

type Cluster = ProxmoxTree["clusters"][number];
type Install = { onInstall: (label: string, agentIds: AgentId[]) => void; loading: string | null };

const linkedAgents = (guests: TreeGuest[]) =>
  guests.flatMap((guest) => (guest.agent ? [guest.agent.agentId] : []));

export function ProxmoxCluster({ cluster, ...install }: { cluster: Cluster } & Install) {
  const label = cluster.name === null ? "the nodes outside a cluster" : `cluster ${cluster.name}`;
  const agentIds = cluster.nodes.flatMap((node) => [node.agent.agentId, ...linkedAgents(node.guests)]);
  return (
    <section
      className="card proxmox-cluster"
      aria-label={cluster.name === null ? "Nodes outside a cluster" : `Cluster ${cluster.name}`}
    >
      <div className="proxmox-row">
        <h2>
          {cluster.name === null ? (
            "Nodes outside a cluster"
          ) : (
            <>
              Cluster <Untrusted text={cluster.name} />
            </>
          )}
        </h2>
        <Counts counts={cluster.counts} />
        <InstallButton label={label} agentIds={agentIds} counts={cluster.counts} {...install} />
      </div>
      <ul className="proxmox-tree">
        {cluster.nodes.map((node) => (
          <NodeItem key={node.agent.agentId} node={node} {...install} />
        ))}
      </ul>
    </section>
  );
}

function NodeItem({ node, ...install }: { node: TreeNode } & Install) {
  return (
    <li aria-label={`Node ${node.node}`}>
      <div className="proxmox-row">
        <span className="pill info">Node</span>
        <AgentLink agent={node.agent} name={node.node} />
        <span className="small-text muted">{node.version.split(" ")[0]}</span>
        <Counts counts={node.counts} />
        <InstallButton
          label={`node ${node.node} and its guests`}
          agentIds={[node.agent.agentId, ...linkedAgents(node.guests)]}
          counts={node.counts}
          {...install}
        />
      </div>
      <DockerImages agent={node.agent} />
      {node.guests.length > 0 ? (
        <ul className="proxmox-tree">
          {node.guests.map((guest) => (
            <GuestItem key={guest.vmid} guest={guest} {...install} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

function GuestItem({ guest, ...install }: { guest: TreeGuest } & Install) {
  const kind = guest.type === "lxc" ? "LXC" : "VM";
  const name = guest.name ?? `${kind} ${guest.vmid}`;
  return (
    <li aria-label={`${kind} ${guest.vmid}`}>
      <div className="proxmox-row">
        <span className="pill muted">
          {kind} {guest.vmid}
        </span>
        {guest.agent ? (
          <AgentLink agent={guest.agent} name={name} />
        ) : (
          <Untrusted text={name} className="strong" />
        )}
        {guest.status ? (
          <StatusBadge value={guest.status === "running" ? "online" : "offline"} label={guest.status} />
        ) : null}
        {guest.os ? <span className="small-text muted">{guest.os}</span> : null}
        {guest.link === "linked" ? <Counts counts={guest.counts} /> : <NoAgent link={guest.link} />}
        {guest.agent ? (
          <InstallButton
            label={`${kind} ${guest.vmid} (${name})`}
            agentIds={[guest.agent.agentId]}
            counts={guest.counts}
            {...install}
          />
        ) : null}
      </div>
      {guest.agent ? <DockerImages agent={guest.agent} /> : null}
    </li>
  );
}

function NoAgent({ link }: { link: TreeGuest["link"] }) {
  return link === "ambiguous" ? (
    <span
      className="pill warn"
      title="Its identity is reported by more than one agent (a clone?), so none is linked."
    >
      Identity shared: not linked
    </span>
  ) : (
    <span className="pill muted">No agent</span>
  );
}

function AgentLink({ agent, name }: { agent: TreeAgent; name: string }) {
  return (
    <Link href={`/agents/${agent.agentId}`} className="strong">
      <Untrusted text={name} />
      {agent.hostname !== name ? (
        <span className="muted">
          {" "}
          (<Untrusted text={agent.hostname} />)
        </span>
      ) : null}
    </Link>
  );
}

function DockerImages({ agent }: { agent: TreeAgent }) {
  if (agent.docker.length === 0) return null;
  return (
    <ul className="proxmox-tree" aria-label={`Docker images on ${agent.hostname}`}>
      {agent.docker.map((image) => (
        <li key={image.updateId} className="proxmox-row small-text">
          <span className="pill muted">Docker</span>
          <Untrusted text={image.image} className="mono wrap" />
          {image.security ? <span className="pill bad">security</span> : null}
          {image.containers.length > 0 ? (
            <span className="muted wrap">
              {plural(image.containers.length, "container")}: <Untrusted text={image.containers.join(", ")} />
            </span>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

function Counts({ counts }: { counts: UpdateCounts }) {
  return (
    <span className="proxmox-counts">
      <span>{plural(counts.pending, "pending update")}</span>
      {counts.security > 0 ? <span className="pill bad">{counts.security} security</span> : null}
    </span>
  );
}

function InstallButton({
  label,
  agentIds,
  counts,
  onInstall,
  loading,
}: { label: string; agentIds: AgentId[]; counts: UpdateCounts } & Install) {
  const canInstall = useCan("operator");
  if (!canInstall || counts.pending === 0 || agentIds.length === 0) return null;
  return (
    <button
      type="button"
      className="button small"
      disabled={loading !== null}
      aria-label={`Install the pending updates of ${label}`}
      onClick={() => onInstall(label, agentIds)}
    >
      {loading === label ? "Reading updates…" : "Install…"}
    </button>
  );
}
