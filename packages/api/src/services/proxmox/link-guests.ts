import type { AgentId, ProxmoxGuestType, VirtualGuest } from "@redflag/contracts";

type GuestIdentity = { nodeAgentId: AgentId; vmid: number; type: ProxmoxGuestType } & {
  machineId: string | null;
  smbiosUuid: string | null;
};
type AgentIdentity = { agentId: AgentId; kind: VirtualGuest["kind"] } & {
  machineId: string | null;
  productUuid: string | null;
};

export type GuestLink = { link: "linked"; agentId: AgentId } | { link: "no_agent" } | { link: "ambiguous" };

export const guestKey = (nodeAgentId: AgentId, vmid: number) => `${nodeAgentId}/${vmid}`;

/**
 * Links each guest of a node to the agent running inside it by identity, never by name: an LXC by the
 * /etc/machine-id its node read inside it (`pct exec`) and the agent in an LXC reports; a VM by the
 * SMBIOS UUID of its config and the product_uuid the agent in a VM reads. An identity held by more
 * than one guest or more than one agent (a cloned container, a VM from a template that kept its UUID)
 * links nothing: which of them is which cannot be told.
 */
export function linkGuests(guests: GuestIdentity[], agents: AgentIdentity[]): Map<string, GuestLink> {
  const guestsByIdentity = new Map<string, number>();
  for (const guest of guests) {
    const key = identityOfGuest(guest);
    if (key !== null) guestsByIdentity.set(key, (guestsByIdentity.get(key) ?? 0) + 1);
  }
  const agentsByIdentity = new Map<string, AgentId[]>();
  for (const agent of agents) {
    const key = identityOfAgent(agent);
    if (key !== null) agentsByIdentity.set(key, [...(agentsByIdentity.get(key) ?? []), agent.agentId]);
  }
  const links = new Map<string, GuestLink>();
  for (const guest of guests) {
    const key = identityOfGuest(guest);
    const candidates = key === null ? [] : (agentsByIdentity.get(key) ?? []);
    const [only] = candidates;
    let link: GuestLink = { link: "no_agent" };
    if (candidates.length > 1 || (key !== null && (guestsByIdentity.get(key) ?? 0) > 1)) {
      link = candidates.length === 0 ? { link: "no_agent" } : { link: "ambiguous" };
    } else if (only !== undefined) {
      link = { link: "linked", agentId: only };
    }
    links.set(guestKey(guest.nodeAgentId, guest.vmid), link);
  }
  return links;
}

function identityOfGuest(guest: GuestIdentity): string | null {
  if (guest.type === "lxc") return guest.machineId === null ? null : `lxc:${guest.machineId}`;
  return guest.smbiosUuid === null ? null : `vm:${guest.smbiosUuid}`;
}

function identityOfAgent(agent: AgentIdentity): string | null {
  if (agent.kind === "lxc") return agent.machineId === null ? null : `lxc:${agent.machineId}`;
  return agent.productUuid === null ? null : `vm:${agent.productUuid}`;
}
